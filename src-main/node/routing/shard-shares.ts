// Who a request served by a multi-machine EXO instance pays (DESIGN.md §4 step 5): each EXO node of the
// instance is paid to the cluster member that owns it, and a node nobody proves to own (a machine of the
// contributor's own that runs no OpenGateway) counts as the worker's. Shares of one member add up.
//
// Ownership (security finding 9): a heartbeat's `engineNode` is only a claim, and EXO node ids are public
// (anyone on the LAN reads them from EXO's /state). A claim counts only when the member's libp2p connection
// to this worker comes from an address at which the worker's own EXO reached that node (its topology, see
// engine/exo/exo-topology.ts): a Sybil that copies the id from elsewhere is never paid. A node claimed, so
// verified, by two members (two OpenGateway nodes behind one address) pays neither. EXO node ids are random
// and carry no key in any EXO generation, so nothing stronger than "where EXO found it" is available.
import { normaliseIp } from '../engine/exo/exo-topology.ts';
import type { EnginePlacement } from '../engine/engine.ts';
import type { ClusterMember } from './cluster-directory.ts';

/** A member paid for part of a request, and its part (0…1; all parts sum to 1). */
export interface Shareholder {
  readonly peerId: string;
  readonly share: number;
}

/** The IP addresses this node's direct connections to a peer come from (none when only relayed). */
export type MemberAddresses = (peerId: string) => readonly string[];

export function shardShareholders(
  placement: EnginePlacement | null | undefined,
  members: readonly ClusterMember[],
  workerPeerId: string,
  memberAddresses: MemberAddresses = () => [],
): Shareholder[] {
  const shares = placement?.shares.filter((s) => Number.isFinite(s.share) && s.share > 0) ?? [];
  const total = shares.reduce((sum, s) => sum + s.share, 0);
  if (!placement || shares.length === 0 || total <= 0) return [{ peerId: workerPeerId, share: 1 }];
  const byNode = new Map<string, string | null>();
  for (const member of members) {
    const node = member.engineNode;
    if (member.status === 'down' || node === undefined || node === placement.localNode) continue;
    if (!reachedAt(placement, node, memberAddresses(member.peerId))) continue;
    const claimed = byNode.get(node);
    byNode.set(node, claimed === undefined || claimed === member.peerId ? member.peerId : null);
  }
  byNode.set(placement.localNode, workerPeerId);
  const parts = new Map<string, number>();
  for (const s of shares) {
    const peerId = byNode.get(s.engineNodeId) ?? workerPeerId;
    parts.set(peerId, (parts.get(peerId) ?? 0) + s.share / total);
  }
  return [...parts].map(([peerId, share]) => ({ peerId, share }));
}

/** Whether one of the member's connection addresses is one where the engine reached `node`. */
function reachedAt(placement: EnginePlacement, node: string, addresses: readonly string[]): boolean {
  // `node` is a peer's claim: an own-property lookup, so "constructor" and its kind find nothing.
  const table = placement.nodeAddresses;
  const known = table !== undefined && Object.hasOwn(table, node) ? table[node] : undefined;
  if (!Array.isArray(known) || known.length === 0) return false;
  return addresses.some((address) => {
    const ip = normaliseIp(address);
    return ip !== null && known.includes(ip);
  });
}
