// Who a request served by a multi-machine EXO instance pays (DESIGN.md §4 step 5): each EXO node of the
// instance is mapped to the cluster member that announced it as its own engine node; a node no member
// announced (a machine of the contributor's own that runs no OpenGateway) counts as the worker's. Shares of
// one member add up. A heartbeat's engine node is only a claim (security finding 9): a node id announced by
// two members is contested and pays neither (it counts as the worker's), so a Sybil that copies a shard's
// EXO node id is never paid for that shard's work.
import type { EnginePlacement } from '../engine/engine.ts';
import type { ClusterMember } from './cluster-directory.ts';

/** A member paid for part of a request, and its part (0…1; all parts sum to 1). */
export interface Shareholder {
  readonly peerId: string;
  readonly share: number;
}

export function shardShareholders(
  placement: EnginePlacement | null | undefined,
  members: readonly ClusterMember[],
  workerPeerId: string,
): Shareholder[] {
  const shares = placement?.shares.filter((s) => Number.isFinite(s.share) && s.share > 0) ?? [];
  const total = shares.reduce((sum, s) => sum + s.share, 0);
  if (!placement || shares.length === 0 || total <= 0) return [{ peerId: workerPeerId, share: 1 }];
  const byNode = new Map<string, string | null>();
  for (const member of members) {
    if (member.status === 'down' || member.engineNode === undefined) continue;
    const claimed = byNode.get(member.engineNode);
    byNode.set(member.engineNode, claimed === undefined || claimed === member.peerId ? member.peerId : null);
  }
  byNode.set(placement.localNode, workerPeerId);
  const parts = new Map<string, number>();
  for (const s of shares) {
    const peerId = byNode.get(s.engineNodeId) ?? workerPeerId;
    parts.set(peerId, (parts.get(peerId) ?? 0) + s.share / total);
  }
  return [...parts].map(([peerId, share]) => ({ peerId, share }));
}
