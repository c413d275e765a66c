// What the chaos run asks of its nodes' APIs: readiness, a worker's own load, each node's ledger audit
// (GET /api/ledger?audit=1) and whether the audits agree. A node that is down or frozen answers null.
import type { LedgerAudit } from '../../src-main/node/local-api/routes/ledger-audit.ts';
import type { ChaosNode } from './chaos-node.ts';

const CLUSTER = 'asia/model-a';

interface StatusBody {
  state: { status: string };
  engines: Record<string, { status: string }>;
  clusters: { key: string; members: { self: boolean; status: string; engine: string; load: number }[] }[];
}

async function status(node: ChaosNode): Promise<StatusBody | null> {
  try {
    const reply = await node.api<StatusBody>('/api/status', 2_000);
    return reply.status === 200 ? reply.body : null;
  } catch {
    return null;
  }
}

async function accountOpen(node: ChaosNode): Promise<boolean> {
  try {
    const reply = await node.api<{ account?: { opened: boolean } }>('/api/ledger?limit=1', 2_000);
    return reply.status === 200 && reply.body.account?.opened === true;
  } catch {
    return false;
  }
}

/**
 * Polls until the first node (the requester) sees `workers` members of the cluster up with their engine
 * ready and every node says ready with its account open; the time it took, or null after `timeoutMs`.
 */
export async function allReady(
  nodes: readonly ChaosNode[],
  workers: number,
  timeoutMs: number,
): Promise<number | null> {
  const begin = Date.now();
  while (Date.now() - begin < timeoutMs) {
    const reports = await Promise.all(nodes.map(status));
    const open = await Promise.all(nodes.map(accountOpen));
    const up = reports[0]?.clusters
      .find((cluster) => cluster.key === CLUSTER)
      ?.members.filter((m) => m.status === 'up' && m.engine === 'ready').length;
    if (reports.every((r) => r?.state.status === 'ready') && open.every(Boolean) && up === workers)
      return Date.now() - begin;
    await new Promise((done) => setTimeout(done, 500));
  }
  return null;
}

/** The requests a worker is serving now (its own member entry), 0 when it does not answer. */
export async function selfLoad(node: ChaosNode): Promise<number> {
  const report = await status(node);
  return report?.clusters.find((c) => c.key === CLUSTER)?.members.find((m) => m.self)?.load ?? 0;
}

export async function auditAll(nodes: readonly ChaosNode[]): Promise<(LedgerAudit | null)[]> {
  return Promise.all(
    nodes.map(async (node) => {
      try {
        const reply = await node.api<{ audit: LedgerAudit }>('/api/ledger?audit=1', 2_000);
        return reply.status === 200 ? reply.body.audit : null;
      } catch {
        return null;
      }
    }),
  );
}

/** Every node answered, all hold the same chain heads, each conserves exactly and waits for nothing. */
export function converged(audits: readonly (LedgerAudit | null)[]): boolean {
  const first = audits[0];
  if (!first) return false;
  return audits.every(
    (audit) =>
      audit !== null && audit.conserved && audit.pending === 0 && audit.headsDigest === first.headsDigest,
  );
}
