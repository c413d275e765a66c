// Membership at N nodes: N real libp2p nodes on 127.0.0.1, all bootstrapping from one bootstrap node, all
// serving one cluster (asia/model-a) with the node's own sampled membership (issue 16: a sample of k members
// per node, SWIM probes on `/og/membership/2.0.0` streams, rumors piggybacked, seeds from DHT provider
// records). Measures the time for every node to join (half its sample up, held by two others), the time until
// a hung and a crashed member are gone from every sample, membership messages, bytes and CPU per node, memory.
// This process runs the bootstrap node (relay server, watching the cluster like a deployed bootstrap node) and
// coordinates; the N nodes run in `--procs` worker processes (bench/membership-worker.ts), spread evenly, so
// they can use more than one core and no single event loop carries every node.
// Usage: npm run bench:membership -- --nodes 100 [--procs 2] [--heartbeat-ms 5000] [--window-intervals 3]
//        [--no-dht] [--timeout-s 900] [--cpu-prof DIR]
// Last line: one JSON object.
import { generateKeyPair } from '@libp2p/crypto/keys';
import { fork, type ChildProcess } from 'node:child_process';
import { cpus, loadavg, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { DEFAULT_ACTIVE_VIEW_SIZE } from '../src-main/node/membership/membership-defaults.ts';
import { MembershipService } from '../src-main/node/membership/membership-service.ts';
import type {
  NodeProgress,
  ReplyEnvelope,
  WindowResult,
  WorkerEnvelope,
  WorkerReply,
  WorkerRequest,
} from './membership-ipc.ts';
import { BENCH_REGION, BENCH_TIER, benchP2p } from './membership-node.ts';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '25' },
    procs: { type: 'string', default: '2' },
    'heartbeat-ms': { type: 'string', default: '5000' },
    'window-intervals': { type: 'string', default: '3' },
    'no-dht': { type: 'boolean', default: false },
    'timeout-s': { type: 'string', default: '900' },
    'cpu-prof': { type: 'string' },
  },
});
const N = Number(values.nodes);
const PROCS = Number(values.procs);
const HEARTBEAT_MS = Number(values['heartbeat-ms']);
const WINDOW_INTERVALS = Number(values['window-intervals']);
const DHT = !values['no-dht'];
const DEADLINE = Date.now() + Number(values['timeout-s']) * 1000;
if (!Number.isInteger(N) || N < 3 || N > 500) throw new Error('--nodes must be 3..500');
if (!Number.isInteger(PROCS) || PROCS < 1 || PROCS > N) throw new Error('--procs must be 1..nodes');
if (!Number.isInteger(HEARTBEAT_MS) || HEARTBEAT_MS < 100) throw new Error('--heartbeat-ms must be ≥ 100');

const t0 = performance.now();
const log = (line: string): void => console.log(`[${((performance.now() - t0) / 1000).toFixed(1)}s] ${line}`);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const max = (xs: readonly number[]): number => xs.reduce((a, b) => Math.max(a, b), -Infinity);
const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const range = (xs: readonly number[]): string =>
  xs.length === 0 ? '–' : `${xs.reduce((a, b) => Math.min(a, b), Infinity)}..${max(xs)}`;

/** One worker process and a request/reply channel to it. */
class Worker {
  readonly child: ChildProcess;
  readonly #pending = new Map<
    number,
    { resolve: (reply: WorkerReply) => void; reject: (e: Error) => void }
  >();
  #nextId = 1;

  constructor(index: number) {
    const execArgv = ['--expose-gc'];
    if (values['cpu-prof'] !== undefined)
      execArgv.push(
        '--cpu-prof',
        `--cpu-prof-dir=${values['cpu-prof']}`,
        `--cpu-prof-name=worker-${index}.cpuprofile`,
      );
    this.child = fork(new URL('./membership-worker.ts', import.meta.url), [], {
      execArgv,
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    this.child.on('message', (message: ReplyEnvelope) => {
      const pending = this.#pending.get(message.id);
      if (pending === undefined) return;
      this.#pending.delete(message.id);
      if (message.reply !== undefined) pending.resolve(message.reply);
      else pending.reject(new Error(`worker ${index}: ${message.error ?? 'no reply'}`));
    });
    this.child.on('exit', (code, signal) => {
      for (const pending of this.#pending.values())
        pending.reject(new Error(`worker ${index} exited (${code ?? signal})`));
      this.#pending.clear();
    });
  }

  ask<T extends WorkerReply['type']>(
    request: WorkerRequest,
    expect: T,
  ): Promise<Extract<WorkerReply, { type: T }>> {
    const id = this.#nextId++;
    const envelope: WorkerEnvelope = { id, request };
    return new Promise((resolve, reject) => {
      this.#pending.set(id, {
        resolve: (reply) => {
          if (reply.type === expect) resolve(reply as Extract<WorkerReply, { type: T }>);
          else reject(new Error(`expected ${expect}, got ${reply.type}`));
        },
        reject,
      });
      this.child.send(envelope);
    });
  }
}

const workers = Array.from({ length: PROCS }, (_, i) => new Worker(i));
// A failed run must not leave workers behind (they also exit when the IPC channel closes).
process.on('exit', () => {
  for (const worker of workers) if (worker.child.exitCode === null) worker.child.kill();
});
const all = <T extends WorkerReply['type']>(request: WorkerRequest, expect: T) =>
  Promise.all(workers.map((worker) => worker.ask(request, expect)));
async function progress(): Promise<NodeProgress[]> {
  return (await all({ type: 'progress' }, 'progress')).flatMap((reply) => reply.nodes);
}
function diagnose(nodes: readonly NodeProgress[]): string {
  const live = nodes.filter((node) => !node.stopped);
  return (
    `sample ${range(live.map((n) => n.members.length))}, ` +
    `connections ${range(live.map((n) => n.connections))}, ` +
    `half ${live.filter((n) => n.halfAt !== null).length}/${live.length}, ` +
    `full ${live.filter((n) => n.fullAt !== null).length}/${live.length}, load ${loadavg()[0]!.toFixed(1)}`
  );
}
/** How many live nodes hold each peer in their sample. */
function inDegrees(nodes: readonly NodeProgress[]): Map<string, number> {
  const degrees = new Map<string, number>();
  for (const node of nodes)
    if (!node.stopped) for (const peer of node.members) degrees.set(peer, (degrees.get(peer) ?? 0) + 1);
  return degrees;
}
async function waitUntil(
  what: string,
  check: (nodes: NodeProgress[]) => boolean,
  pollMs = 250,
): Promise<NodeProgress[]> {
  let lastLog = performance.now();
  for (;;) {
    const nodes = await progress();
    if (check(nodes)) return nodes;
    if (Date.now() > DEADLINE) throw new Error(`bench timed out waiting for ${what}: ${diagnose(nodes)}`);
    if (performance.now() - lastLog > Math.max(5000, HEARTBEAT_MS)) {
      log(`waiting for ${what}: ${diagnose(nodes)}`);
      lastLog = performance.now();
    }
    await sleep(pollMs);
  }
}

// The bootstrap node first, then the workers bootstrap from it.
const boot = benchP2p(await generateKeyPair('Ed25519'), { bootstrap: [], relay: true, dht: DHT });
await boot.start();
const bootAddress = boot.listenAddresses()[0]!;
const bootMembership = new MembershipService({ libp2p: boot.libp2p }, { heartbeatIntervalMs: HEARTBEAT_MS });
await bootMembership.start();
await bootMembership.join({ region: BENCH_REGION, serve: [], watch: [BENCH_TIER] });

const viewTarget = Math.min(DEFAULT_ACTIVE_VIEW_SIZE, N - 1);
const shares = workers.map((_, i) => Math.floor(N / PROCS) + (i < N % PROCS ? 1 : 0));
const started = await Promise.all(
  workers.map((worker, i) =>
    worker.ask(
      {
        type: 'start',
        setup: { bootstrap: bootAddress, count: shares[i]!, heartbeatMs: HEARTBEAT_MS, dht: DHT, viewTarget },
      },
      'started',
    ),
  ),
);
const peerIds = started.flatMap((reply) => reply.peerIds);
log(`${N} nodes started in ${PROCS} worker process(es) (${shares.join('+')}) + the bootstrap node here`);

// Let the DHT connect the nodes first (bounded), so the membership numbers are not the DHT's start-up storm.
const settleTarget = Math.min(6, N);
const settleStart = performance.now();
let settled = await progress();
while (performance.now() - settleStart < 60_000 && !settled.every((n) => n.connections >= settleTarget)) {
  await sleep(250);
  settled = await progress();
}
const settledMs = performance.now() - settleStart;
log(
  `network settled after ${Math.round(settledMs)} ms (${settled.filter((n) => n.connections >= settleTarget).length}/${N} nodes with ≥ ${settleTarget} connections)`,
);

async function measureWindow(ms: number): Promise<{ workers: WindowResult; bootCpuMs: number }> {
  const bootBefore = process.cpuUsage();
  const results = (await all({ type: 'window', ms }, 'window')).map((reply) => reply.result);
  const bootCpu = process.cpuUsage(bootBefore);
  return {
    workers: {
      deliveries: results.reduce((sum, r) => sum + r.deliveries, 0),
      bytesReceived: results.reduce((sum, r) => sum + r.bytesReceived, 0),
      cpuMs: results.reduce((sum, r) => sum + r.cpuMs, 0),
      wallMs: max(results.map((r) => r.wallMs)),
      eventLoopUtilization: max(results.map((r) => r.eventLoopUtilization)),
      loopDelayP99Ms: max(results.map((r) => r.loopDelayP99Ms)),
      loopDelayMaxMs: max(results.map((r) => r.loopDelayMaxMs)),
    },
    bootCpuMs: (bootCpu.user + bootCpu.system) / 1000,
  };
}

// Baseline: the same nodes, connected but in no cluster (DHT upkeep, gossipsub and connection pings).
const idle = await measureWindow(HEARTBEAT_MS);
const idleCpuMsPerNodePerSec = idle.workers.cpuMs / N / (idle.workers.wallMs / 1000);
log(
  `idle baseline: ${idleCpuMsPerNodePerSec.toFixed(2)} ms CPU/node/s (worker loops ≤ ${idle.workers.eventLoopUtilization.toFixed(2)} busy)`,
);

// Every node joins at once: "start" is the moment the join request leaves here.
const joinAt = Date.now();
await all({ type: 'join' }, 'done');
log(`${N} nodes joined (${((performance.now() - t0) / 1000).toFixed(1)} s since start)`);
// Joined (as in bench:scale): half of its sample up, and held by at least two others (polled: ±250 ms).
const heldBy = Math.min(2, N - 1);
let nodes = await waitUntil('every node joined', (ns) => {
  const degrees = inDegrees(ns);
  return ns.every((n) => n.halfAt !== null && (degrees.get(n.peerId) ?? 0) >= heldBy);
});
const joinedMs = Math.max(max(nodes.map((n) => n.halfAt!)), Date.now()) - joinAt;
const joinedMedianMs = median(nodes.map((n) => n.halfAt!)) - joinAt;
nodes = await waitUntil(
  'full samples',
  (ns) => ns.every((n) => n.fullAt !== null) || Date.now() > joinAt + joinedMs + 10 * HEARTBEAT_MS,
);
const fullMs = nodes.every((n) => n.fullAt !== null) ? max(nodes.map((n) => n.fullAt!)) - joinAt : null;
log(
  `every node joined after ${joinedMs} ms (half its sample up: median node ${joinedMedianMs} ms; held by ≥ ${heldBy}); every sample full (${viewTarget}) ${fullMs === null ? 'not within 10 intervals' : `after ${fullMs} ms`}`,
);

// Steady state: membership messages, bytes and CPU over a few intervals.
await sleep(HEARTBEAT_MS);
const steady = await measureWindow(WINDOW_INTERVALS * HEARTBEAT_MS);
const windowS = steady.workers.wallMs / 1000;
const deliveries = steady.workers.deliveries;
const msgsPerNodePerSec = deliveries / N / windowS;
const bytesPerNodePerSec = steady.workers.bytesReceived / N / windowS;
const cpuMsPerNodePerSec = steady.workers.cpuMs / N / windowS;
log(
  `steady: ${msgsPerNodePerSec.toFixed(2)} msgs/node/s received, ${bytesPerNodePerSec.toFixed(0)} B/node/s, ${cpuMsPerNodePerSec.toFixed(2)} ms CPU/node/s, busiest worker loop ${steady.workers.eventLoopUtilization.toFixed(2)} (delay p99 ${steady.workers.loopDelayP99Ms.toFixed(0)} ms, max ${steady.workers.loopDelayMaxMs.toFixed(0)} ms), bootstrap ${(steady.bootCpuMs / windowS).toFixed(1)} ms CPU/s`,
);

const memory = await all({ type: 'memory' }, 'memory');
log('memory measured');
const rssMbPerNode = memory.reduce((sum, m) => sum + (m.rssBytes - m.baselineRssBytes), 0) / N / 2 ** 20;
const connectionsPerNode = nodes.reduce((sum, n) => sum + n.connections, 0) / N;

/** Until no other live node holds `victim` in its sample; ms from `since`, and how many held it at first. */
async function goneFromEverySample(victim: string, since: number, what: string) {
  const holders = inDegrees(await progress()).get(victim) ?? 0;
  const ns = await waitUntil(what, (all) =>
    all.every((n) => n.peerId === victim || n.stopped || !n.members.includes(victim)),
  );
  const gone = Date.now() - since;
  const downs = ns.filter((n) => n.peerId !== victim && n.downAt !== null).map((n) => n.downAt! - since);
  const reasons: Record<string, number> = {};
  for (const n of ns) if (n.downReason !== null) reasons[n.downReason] = (reasons[n.downReason] ?? 0) + 1;
  return { gone, holders, lastDown: downs.length > 0 ? max(downs) : null, reasons };
}

// A hang: one member's membership goes silent but its libp2p stays connected (only failed probes reveal it).
const hungId = peerIds[N - 2]!;
await all({ type: 'watch-down', peerId: hungId }, 'done');
const hungAt = Date.now();
await all({ type: 'hang', peerId: hungId }, 'done');
const hang = await goneFromEverySample(hungId, hungAt, 'hang detected');
log(
  `hang: gone from every sample after ${hang.gone} ms (held by ${hang.holders}; ${JSON.stringify(hang.reasons)})`,
);

// A crash: the victim's libp2p stops without the membership goodbye; its sockets close.
const victimId = peerIds[N - 1]!;
await all({ type: 'watch-down', peerId: victimId }, 'done');
const killedAt = Date.now();
await all({ type: 'kill', peerId: victimId }, 'done');
const crash = await goneFromEverySample(victimId, killedAt, 'crash detected');
log(
  `crash: gone from every sample after ${crash.gone} ms (held by ${crash.holders}; ${JSON.stringify(crash.reasons)})`,
);

await all({ type: 'stop' }, 'done');
await bootMembership.stop();
await boot.stop();

const result = {
  bench: 'membership',
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
  layout: `${N} nodes in ${PROCS} worker process(es) + 1 bootstrap node in the coordinator, loopback TCP, ${DHT ? 'with' : 'without'} DHT`,
  protocol: `sampled membership, active view ${DEFAULT_ACTIVE_VIEW_SIZE}`,
  loadAverage1m: Number(loadavg()[0]!.toFixed(1)),
  nodes: N,
  procs: PROCS,
  intervalMs: HEARTBEAT_MS,
  settledMs: Math.round(settledMs),
  joinedMs,
  joinedMedianMs,
  joinedIntervals: Number((joinedMs / HEARTBEAT_MS).toFixed(2)),
  fullSampleMs: fullMs,
  detectMs: crash.gone,
  detectIntervals: Number((crash.gone / HEARTBEAT_MS).toFixed(2)),
  detectHolders: crash.holders,
  detectReasons: crash.reasons,
  detectSilentMs: hang.gone,
  detectSilentIntervals: Number((hang.gone / HEARTBEAT_MS).toFixed(2)),
  detectSilentHolders: hang.holders,
  msgsPerNodePerSec: Number(msgsPerNodePerSec.toFixed(2)),
  bytesPerNodePerSec: Math.round(bytesPerNodePerSec),
  cpuMsPerNodePerSec: Number(cpuMsPerNodePerSec.toFixed(2)),
  idleCpuMsPerNodePerSec: Number(idleCpuMsPerNodePerSec.toFixed(2)),
  membershipCpuMsPerNodePerSec: Number(Math.max(0, cpuMsPerNodePerSec - idleCpuMsPerNodePerSec).toFixed(2)),
  bootstrapCpuMsPerSec: Number((steady.bootCpuMs / windowS).toFixed(1)),
  busiestWorkerLoopUtilization: Number(steady.workers.eventLoopUtilization.toFixed(2)),
  workerLoopDelayP99Ms: Math.round(steady.workers.loopDelayP99Ms),
  workerLoopDelayMaxMs: Math.round(steady.workers.loopDelayMaxMs),
  rssMbPerNode: Number(rssMbPerNode.toFixed(1)),
  connectionsPerNode: Number(connectionsPerNode.toFixed(1)),
};
console.log(JSON.stringify(result));
