// Membership at N nodes: N real libp2p nodes on 127.0.0.1 in this one process, all bootstrapping from one
// bootstrap node, all serving one cluster (asia/model-a). Measures time to full views, time to detect a
// crashed member, heartbeat deliveries and CPU per node, and memory per node.
// Usage: npm run bench:membership -- --nodes 25 [--heartbeat-ms 5000] [--window-intervals 3] [--no-dht]
// Last line: one JSON object.
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { MembershipService } from '../src-main/node/membership/membership-service.ts';
import { P2pService } from '../src-main/node/p2p/p2p-service.ts';
import { membersTopic } from '../src-shared/protocol/index.ts';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '25' },
    'heartbeat-ms': { type: 'string', default: '5000' },
    'window-intervals': { type: 'string', default: '3' },
    'no-dht': { type: 'boolean', default: false },
    'timeout-s': { type: 'string', default: '120' },
  },
});
const N = Number(values.nodes);
const HEARTBEAT_MS = Number(values['heartbeat-ms']);
const WINDOW_INTERVALS = Number(values['window-intervals']);
const DHT = !values['no-dht'];
const DEADLINE = Date.now() + Number(values['timeout-s']) * 1000;
const TIER = 'model-a';
const TOPIC = membersTopic({ region: 'asia', tier: TIER });
if (!Number.isInteger(N) || N < 2 || N > 500) throw new Error('--nodes must be 2..500');

interface BenchNode {
  readonly p2p: P2pService;
  readonly membership: MembershipService;
  delivered: number;
}

const log = (line: string): void => console.log(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`);
const gc = (globalThis as { gc?: () => void }).gc;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

async function waitUntil(what: string, check: () => boolean, pollMs = 20): Promise<number> {
  const start = performance.now();
  while (!check()) {
    if (Date.now() > DEADLINE) throw new Error(`bench timed out waiting for ${what}: ${diagnose()}`);
    await sleep(pollMs);
  }
  return performance.now() - start;
}

function p2pFor(key: Ed25519PrivateKey, bootstrap: string[], relay: boolean) {
  return new P2pService(
    { privateKey: key },
    {
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap,
      relayServer: relay,
      privateNetwork: true,
      upnp: false,
      natTraversal: false,
      dht: DHT,
      scoredTopics: [TOPIC],
      allowedTopics: [TOPIC],
    },
  );
}

const t0 = performance.now();
gc?.();
const rssBefore = process.memoryUsage().rss;

const boot = p2pFor(await generateKeyPair('Ed25519'), [], true);
await boot.start();
const bootAddress = boot.listenAddresses()[0]!;
// As in a deployment, the bootstrap node of a region watches its clusters (and so forwards their gossip).
const bootMembership = new MembershipService({ libp2p: boot.libp2p }, { heartbeatIntervalMs: HEARTBEAT_MS });
await bootMembership.start();
await bootMembership.join({ region: 'asia', serve: [], watch: [TIER] });
const keys = await Promise.all(Array.from({ length: N }, () => generateKeyPair('Ed25519')));

const nodes: BenchNode[] = [];
for (const key of keys) {
  const p2p = p2pFor(key, [bootAddress], false);
  await p2p.start();
  const membership = new MembershipService(
    { libp2p: p2p.libp2p },
    { heartbeatIntervalMs: HEARTBEAT_MS, missedHeartbeats: 3, version: 'bench' },
  );
  await membership.start();
  const node: BenchNode = { p2p, membership, delivered: 0 };
  p2p.pubsub.addEventListener('message', () => {
    node.delivered += 1;
  });
  nodes.push(node);
}
// Let the DHT connect the nodes first (bounded), so the membership numbers are not the DHT's start-up storm.
const settleTarget = Math.min(6, N);
const settleStart = performance.now();
while (
  performance.now() - settleStart < 60_000 &&
  !nodes.every((node) => node.p2p.connectionCount() >= settleTarget)
) {
  await sleep(100);
}
const settledMs = performance.now() - settleStart;
log(
  `network settled after ${Math.round(settledMs)} ms (${nodes.filter((n) => n.p2p.connectionCount() >= settleTarget).length}/${N} nodes with ≥ ${settleTarget} connections)`,
);
// Baseline: the same nodes, connected but not in any cluster (DHT upkeep, gossipsub and connection pings).
const idleCpuBefore = process.cpuUsage();
const idleStart = performance.now();
await sleep(HEARTBEAT_MS);
const idleCpu = process.cpuUsage(idleCpuBefore);
const idleCpuMsPerNodePerSec =
  (idleCpu.user + idleCpu.system) / 1000 / N / ((performance.now() - idleStart) / 1000);
log(`idle baseline: ${idleCpuMsPerNodePerSec.toFixed(2)} ms CPU/node/s`);
// All nodes join at once, so "start" is one instant for every node.
await Promise.all(
  nodes.map((node) => node.membership.join({ region: 'asia', serve: [TIER], watch: [TIER] })),
);
const startedAt = performance.now();
log(`${N} nodes started and joined (${((startedAt - t0) / 1000).toFixed(1)} s)`);

function diagnose(): string {
  const mesh = nodes.map((node) => node.p2p.pubsub.getMeshPeers(TOPIC).length);
  const views = nodes.map((node) => upCount(node));
  const conns = nodes.map((node) => node.p2p.connectionCount());
  const subs = nodes.map((node) => node.p2p.pubsub.getSubscribers(TOPIC).length);
  const range = (xs: number[]): string => `${Math.min(...xs)}..${Math.max(...xs)}`;
  return `mesh ${range(mesh)}, up-in-view ${range(views)}, connections ${range(conns)}, subscribers ${range(subs)}`;
}

const upCount = (node: BenchNode): number =>
  node.membership
    .view(TIER)!
    .members()
    .filter((m) => m.status === 'up').length;
const meshTarget = Math.min(4, N - 1);
// Both milestones are timed from the same start, polled together.
const progress = setInterval(() => log(diagnose()), HEARTBEAT_MS);
const milestones: { mesh: number | null; converged: number | null } = { mesh: null, converged: null };
await waitUntil('full views', () => {
  const now = performance.now() - startedAt;
  if (
    milestones.mesh === null &&
    nodes.every((node) => node.p2p.pubsub.getMeshPeers(TOPIC).length >= meshTarget)
  )
    milestones.mesh = now;
  if (milestones.converged === null && nodes.every((node) => upCount(node) === N - 1))
    milestones.converged = now;
  return milestones.converged !== null;
});
clearInterval(progress);
// The mesh may form later than the views (flood publishing and the bootstrap node's forwarding fill views
// first); give it a few more intervals, then report null.
await waitUntil('mesh', () => {
  const now = performance.now() - startedAt;
  if (
    milestones.mesh === null &&
    nodes.every((node) => node.p2p.pubsub.getMeshPeers(TOPIC).length >= meshTarget)
  )
    milestones.mesh = now;
  return milestones.mesh !== null || now > (milestones.converged ?? 0) + 5 * HEARTBEAT_MS;
});
const { mesh: meshFormedMs, converged: convergedMs } = milestones;
if (convergedMs === null) throw new Error('unreachable');
log(
  `every view full after ${Math.round(convergedMs)} ms; mesh (every node ≥ ${meshTarget} mesh peers) ${meshFormedMs === null ? 'not formed' : `after ${Math.round(meshFormedMs)} ms`}`,
);

// Steady state: deliveries and CPU over a few heartbeat intervals.
await sleep(HEARTBEAT_MS);
for (const node of nodes) node.delivered = 0;
const cpuBefore = process.cpuUsage();
const eluBefore = performance.eventLoopUtilization();
const windowStart = performance.now();
await sleep(WINDOW_INTERVALS * HEARTBEAT_MS);
const windowS = (performance.now() - windowStart) / 1000;
const cpu = process.cpuUsage(cpuBefore);
const elu = performance.eventLoopUtilization(eluBefore).utilization;
const deliveries = nodes.reduce((sum, node) => sum + node.delivered, 0);
const cpuMsTotal = (cpu.user + cpu.system) / 1000;
const msgsPerNodePerSec = deliveries / N / windowS;
const cpuMsPerNodePerSec = cpuMsTotal / N / windowS;
log(
  `steady: ${msgsPerNodePerSec.toFixed(2)} deliveries/node/s, ${cpuMsPerNodePerSec.toFixed(2)} ms CPU/node/s, ELU ${elu.toFixed(2)}`,
);

gc?.();
const rssMbPerNode = (process.memoryUsage().rss - rssBefore) / N / 2 ** 20;
const connectionsPerNode = nodes.reduce((sum, node) => sum + node.p2p.connectionCount(), 0) / N;

// A hang: one member stops beating but keeps its connections (only missed heartbeats can reveal it).
const hung = nodes[N - 2]!;
const hungId = hung.p2p.peerId;
const others = nodes.filter((node) => node !== hung);
hung.p2p.pubsub.publish = () => Promise.resolve({ recipients: [] });
const detectSilentMs = await waitUntil('hang detected', () =>
  others.every((node) => node.membership.view(TIER)!.get(hungId)?.status === 'down'),
);
log(`hang detected by every other node after ${detectSilentMs.toFixed(0)} ms`);

// A crash: the victim's libp2p stops without the membership goodbye; its sockets close.
const victim = nodes[N - 1]!;
const survivors = nodes.slice(0, N - 1);
const victimId = victim.p2p.peerId;
const killedAt = performance.now();
await victim.p2p.stop();
const detectMs = await waitUntil('crash detected', () =>
  survivors.every((node) => node.membership.view(TIER)!.get(victimId)?.status === 'down'),
);
const reasons = new Map<string, number>();
for (const node of survivors) {
  const reason = node.membership.view(TIER)!.get(victimId)?.downReason ?? 'none';
  reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
}
log(
  `crash detected by every survivor after ${(performance.now() - killedAt).toFixed(0)} ms (${JSON.stringify(Object.fromEntries(reasons))})`,
);

for (const node of survivors) await node.membership.stop();
await victim.membership.stop().catch(() => undefined);
await Promise.all(survivors.map((node) => node.p2p.stop()));
await bootMembership.stop();
await boot.stop();

const result = {
  bench: 'membership',
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  layout: `${N} nodes + 1 bootstrap in one process, loopback TCP, ${DHT ? 'with' : 'without'} DHT`,
  nodes: N,
  heartbeatMs: HEARTBEAT_MS,
  settledMs: Math.round(settledMs),
  meshFormedMs: meshFormedMs === null ? null : Math.round(meshFormedMs),
  convergedMs: Math.round(convergedMs),
  convergedIntervals: Number((convergedMs / HEARTBEAT_MS).toFixed(2)),
  convergedIntervalsAfterMesh:
    meshFormedMs === null
      ? null
      : Number((Math.max(0, convergedMs - meshFormedMs) / HEARTBEAT_MS).toFixed(2)),
  detectMs: Math.round(detectMs),
  detectIntervals: Number((detectMs / HEARTBEAT_MS).toFixed(2)),
  detectReasons: Object.fromEntries(reasons),
  detectSilentMs: Math.round(detectSilentMs),
  detectSilentIntervals: Number((detectSilentMs / HEARTBEAT_MS).toFixed(2)),
  msgsPerNodePerSec: Number(msgsPerNodePerSec.toFixed(2)),
  expectedMsgsPerNodePerSec: Number(((N - 1) / (HEARTBEAT_MS / 1000)).toFixed(2)),
  cpuMsPerNodePerSec: Number(cpuMsPerNodePerSec.toFixed(2)),
  cpuMsPerDelivery: Number((cpuMsTotal / Math.max(1, deliveries)).toFixed(3)),
  idleCpuMsPerNodePerSec: Number(idleCpuMsPerNodePerSec.toFixed(2)),
  heartbeatCpuMsPerDelivery: Number(
    (Math.max(0, cpuMsPerNodePerSec - idleCpuMsPerNodePerSec) / Math.max(0.001, msgsPerNodePerSec)).toFixed(
      3,
    ),
  ),
  eventLoopUtilization: Number(elu.toFixed(2)),
  rssMbPerNode: Number(rssMbPerNode.toFixed(1)),
  connectionsPerNode: Number(connectionsPerNode.toFixed(1)),
};
console.log(JSON.stringify(result));
