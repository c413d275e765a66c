// Rare membership events (joins, leaves, deaths, state changes) travel on one of S gossip topics per cluster,
// chosen by hash(peer id) mod S, so each topic carries about N / S members however large the region grows.
import { membersTopic, type ClusterId } from '../../../src-shared/protocol/protocol-ids.ts';

/** FNV-1a over the peer id's UTF-16 code units: stable across nodes and versions, cheap. */
export function shardOf(peerId: string, shards: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < peerId.length; i += 1) {
    hash ^= peerId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % shards;
}

/** `/og/2/<region>/<tier>/members/<shard>` (protocol 2: old nodes cannot join a network that uses it). */
export function shardTopic(cluster: ClusterId, shard: number): string {
  return membersTopic(cluster, shard);
}
