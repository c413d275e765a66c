// "Looking for peers" (DESIGN.md §4): a node that has bootstrap nodes to reach and reaches no peer is not in
// error. It keeps dialling with backoff (the p2p service) and says what it tried, in words for the status.
import type { NodeStatus } from './node-status.ts';
import type { P2pService } from './p2p/p2p-service.ts';

/** The bootstrap addresses the node dials, and those it skipped in local-only mode. */
export interface BootstrapPlan {
  readonly dialled: readonly string[];
  readonly skipped: readonly string[];
  /** Why the skipped names were not looked up (default: local-only mode). */
  readonly skippedBecause?: string;
}

/**
 * Alone: bootstrap nodes to reach and no peer connected. A node with no bootstrap address at all (the first
 * node of a network, a lone test node) is the one others find: it is ready on its own.
 */
export function isAlone(p2p: P2pService | null, plan: BootstrapPlan): boolean {
  return (
    plan.dialled.length + plan.skipped.length > 0 &&
    p2p !== null &&
    p2p.isStarted &&
    p2p.connectionCount() === 0
  );
}

export function lookingForPeers(p2p: P2pService | null, plan: BootstrapPlan, now = Date.now()): NodeStatus {
  const progress = p2p?.bootstrapProgress() ?? { attempts: 0, nextAttemptAt: null };
  const tries = progress.attempts > 0 ? ` (${progress.attempts + 1} attempts)` : '';
  const tried = plan.dialled.slice(0, 8).map((address) => `${address}: no answer yet${tries}`);
  // One line for all skipped names: they share the reason, and seven copies of it bury the point.
  if (plan.skipped.length > 0) {
    const count = plan.skipped.length === 1 ? '1 bootstrap name' : `${plan.skipped.length} bootstrap names`;
    const because = plan.skippedBecause ?? 'local-only mode, OPENGATEWAY_LOCAL_ONLY=1';
    tried.push(`${count} not looked up (${because}), e.g. ${plan.skipped[0]!.replace(/^\/dnsaddr\//, '')}`);
  }
  if (tried.length === 0) tried.push('no bootstrap node is configured: waiting for peers to connect');
  return {
    status: 'looking-for-peers',
    since: now,
    tried: tried.map((line) => line.slice(0, 300)),
    nextAttemptAt: plan.dialled.length > 0 ? progress.nextAttemptAt : null,
  };
}
