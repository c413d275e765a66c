// Protocol ids and gossip topic names (DESIGN.md §5). Every node of every version agrees on these strings,
// so they change only with a new protocol version. Protocol 2 (issue 16: sampled membership instead of
// region-wide heartbeats) moved every id and topic together: a node of protocol 1 finds no DHT, no topic and
// no stream it speaks in a protocol-2 network, so old nodes cannot join a new network (they must update).
import { isRegionId, type RegionId } from '../regions/index.ts';
import { TIER_ID_PATTERN } from '../tiers/tier-spec.ts';

/** The private Kademlia DHT: a separate DHT from IPFS's public one. */
export const KAD_PROTOCOL = '/og/kad/2.0.0';
/** Inference requests, worker and requester side. */
export const INFER_PROTOCOL = '/og/infer/2.0.0';
/** Ledger anti-entropy sync. */
export const LEDGER_SYNC_PROTOCOL = '/og/ledger-sync/2.0.0';

/** Fraud proofs travel network-wide: an offender must be revoked in every region. */
export const FRAUD_TOPIC = '/og/2/fraud';
/** Signed network config updates. */
export const CONFIG_TOPIC = '/og/2/config';

/** A tier id as it may appear in a topic (the tier table's own rule). */
export function isTierIdSyntax(value: unknown): value is string {
  return typeof value === 'string' && TIER_ID_PATTERN.test(value);
}

/** One model cluster: the nodes of one region that serve one tier. */
export interface ClusterId {
  readonly region: RegionId;
  readonly tier: string;
}

/** `asia/model-b`: how logs and the status output name a cluster. */
export function clusterKey(cluster: ClusterId): string {
  return `${cluster.region}/${cluster.tier}`;
}

/** The highest gossip shard count a cluster may use (a bound on the topics a node accepts). */
export const MAX_MEMBER_SHARDS = 1024;

/**
 * One gossip shard of a cluster's rare membership events: `/og/2/<region>/<tier>/members/<shard>`, the shard
 * being hash(peer id) mod S (src-main/node/membership/gossip-shards.ts).
 */
export function membersTopic(cluster: ClusterId, shard: number): string {
  if (!isTierIdSyntax(cluster.tier)) throw new RangeError(`invalid tier id ${JSON.stringify(cluster.tier)}`);
  if (!Number.isSafeInteger(shard) || shard < 0 || shard >= MAX_MEMBER_SHARDS)
    throw new RangeError(`invalid shard ${shard}`);
  return `/og/2/${cluster.region}/${cluster.tier}/members/${shard}`;
}

/** The inverse of membersTopic; null for any other string. */
export function parseMembersTopic(topic: string): (ClusterId & { readonly shard: number }) | null {
  const match = /^\/og\/2\/([a-z-]+)\/([^/]+)\/members\/(0|[1-9][0-9]{0,3})$/.exec(topic);
  if (!match) return null;
  const [, region, tier, shardText] = match;
  const shard = Number(shardText);
  if (!isRegionId(region) || !isTierIdSyntax(tier) || shard >= MAX_MEMBER_SHARDS) return null;
  return { region, tier, shard };
}

/**
 * Reports of requesters that did not settle, with their own signed RESERVE and ack as evidence:
 * `/og/2/<region>/reports`. Each node judges a report against its own view before it counts.
 */
export function reportsTopic(region: RegionId): string {
  return `/og/2/${region}/reports`;
}

/** The ledger block topic of a region: `/og/2/<region>/ledger`. */
export function ledgerTopic(region: RegionId): string {
  return `/og/2/${region}/ledger`;
}
