// A worker process of bench:membership: runs its share of the N nodes and answers the coordinator over IPC
// (bench/membership-ipc.ts). Each node records its own milestones (half and full sample, the watched peer
// dropped) with the shared wall clock, so the coordinator's polling period never adds to those times.
import { generateKeyPair } from '@libp2p/crypto/keys';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { MembershipService } from '../src-main/node/membership/membership-service.ts';
import type { P2pService } from '../src-main/node/p2p/p2p-service.ts';
import type {
  NodeProgress,
  ReplyEnvelope,
  WorkerEnvelope,
  WorkerReply,
  WorkerRequest,
  WorkerSetup,
} from './membership-ipc.ts';
import { BENCH_REGION, BENCH_TIER, benchP2p } from './membership-node.ts';

interface WorkerNode {
  readonly p2p: P2pService;
  readonly membership: MembershipService;
  readonly peerId: string;
  received: number;
  bytesReceived: number;
  halfAt: number | null;
  fullAt: number | null;
  downAt: number | null;
  downReason: string | null;
  stopped: boolean;
  /** Its membership went silent (the hang): its own frozen sample no longer counts. */
  hung: boolean;
}

const gc = (globalThis as { gc?: () => void }).gc;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

if (process.send === undefined) throw new Error('membership-worker runs as a child of bench/membership.ts');
gc?.();
const baselineRssBytes = process.memoryUsage().rss;
const nodes: WorkerNode[] = [];
let setup: WorkerSetup | null = null;
let watched: string | null = null;

const upMembers = (node: WorkerNode): string[] =>
  (node.membership.cluster(BENCH_TIER)?.members() ?? [])
    .filter((member) => member.status === 'up')
    .map((member) => member.peerId);

async function start(config: WorkerSetup): Promise<WorkerReply> {
  setup = config;
  const keys = await Promise.all(Array.from({ length: config.count }, () => generateKeyPair('Ed25519')));
  for (const key of keys) {
    const p2p = benchP2p(key, { bootstrap: [config.bootstrap], relay: false, dht: config.dht });
    await p2p.start();
    const membership = new MembershipService(
      { libp2p: p2p.libp2p },
      { heartbeatIntervalMs: config.heartbeatMs, version: 'bench' },
    );
    await membership.start();
    membership.setLocalState(BENCH_TIER, { engine: 'ready', modelsReady: ['m'], capacity: 2, load: 0 });
    const node: WorkerNode = {
      p2p,
      membership,
      peerId: p2p.peerId,
      received: 0,
      bytesReceived: 0,
      halfAt: null,
      fullAt: null,
      downAt: null,
      downReason: null,
      stopped: false,
      hung: false,
    };
    membership.addEventListener('member-change', (event) => {
      const change = event.detail;
      const up = upMembers(node).length;
      if (node.halfAt === null && up >= Math.ceil(config.viewTarget / 2)) node.halfAt = Date.now();
      if (node.fullAt === null && up >= config.viewTarget) node.fullAt = Date.now();
      if (watched !== null && change.peerId === watched && change.to === 'down' && node.downAt === null) {
        node.downAt = Date.now();
        node.downReason = change.reason;
      }
    });
    nodes.push(node);
  }
  return { type: 'started', peerIds: nodes.map((node) => node.peerId) };
}

function progress(): WorkerReply {
  return {
    type: 'progress',
    nodes: nodes.map((node): NodeProgress => ({
      peerId: node.peerId,
      members: node.stopped || node.hung ? [] : upMembers(node),
      connections: node.p2p.connectionCount(),
      halfAt: node.halfAt,
      fullAt: node.fullAt,
      downAt: node.downAt,
      downReason: node.downReason,
      stopped: node.stopped,
    })),
  };
}

async function window(ms: number): Promise<WorkerReply> {
  const before = nodes.map((node) => node.membership.traffic);
  const cpuBefore = process.cpuUsage();
  const eluBefore = performance.eventLoopUtilization();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  await sleep(ms);
  delay.disable();
  const cpu = process.cpuUsage(cpuBefore);
  const after = nodes.map((node) => node.membership.traffic);
  return {
    type: 'window',
    result: {
      deliveries: after.reduce((sum, t, i) => sum + t.received - before[i]!.received, 0),
      bytesReceived: after.reduce((sum, t, i) => sum + t.bytesReceived - before[i]!.bytesReceived, 0),
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: performance.now() - started,
      eventLoopUtilization: performance.eventLoopUtilization(eluBefore).utilization,
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      loopDelayMaxMs: delay.max / 1e6,
    },
  };
}

async function join(): Promise<WorkerReply> {
  if (setup === null) throw new Error('join before start');
  await Promise.all(
    nodes.map((node) =>
      node.membership.join({ region: BENCH_REGION, serve: [BENCH_TIER], watch: [BENCH_TIER] }),
    ),
  );
  return { type: 'done' };
}

function watchDown(peerId: string): WorkerReply {
  watched = peerId;
  for (const node of nodes) {
    node.downAt = null;
    node.downReason = null;
  }
  return { type: 'done' };
}

function hang(peerId: string): WorkerReply {
  const node = nodes.find((candidate) => candidate.peerId === peerId);
  // The member keeps its connections but its membership goes silent (no goodbye): only failed probes reveal it.
  if (node !== undefined) node.hung = true;
  node?.membership.cluster(BENCH_TIER)?.stop(false);
  return { type: 'done' };
}

async function kill(peerId: string): Promise<WorkerReply> {
  const node = nodes.find((candidate) => candidate.peerId === peerId);
  if (node !== undefined) {
    // As on SIGKILL: no goodbye, the sockets close.
    node.stopped = true;
    await node.p2p.stop();
  }
  return { type: 'done' };
}

function memory(): WorkerReply {
  gc?.();
  return { type: 'memory', rssBytes: process.memoryUsage().rss, baselineRssBytes };
}

async function stop(): Promise<WorkerReply> {
  await Promise.allSettled(nodes.filter((node) => !node.stopped).map((node) => node.membership.stop()));
  await Promise.allSettled(nodes.filter((node) => !node.stopped).map((node) => node.p2p.stop()));
  return { type: 'done' };
}

function handle(request: WorkerRequest): Promise<WorkerReply> | WorkerReply {
  switch (request.type) {
    case 'start':
      return start(request.setup);
    case 'progress':
      return progress();
    case 'window':
      return window(request.ms);
    case 'join':
      return join();
    case 'watch-down':
      return watchDown(request.peerId);
    case 'hang':
      return hang(request.peerId);
    case 'kill':
      return kill(request.peerId);
    case 'memory':
      return memory();
    case 'stop':
      return stop();
  }
}

process.on('message', (message: WorkerEnvelope) => {
  void (async () => {
    let envelope: ReplyEnvelope;
    try {
      envelope = { id: message.id, reply: await handle(message.request) };
    } catch (error) {
      envelope = {
        id: message.id,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      };
    }
    const stopping = message.request.type === 'stop';
    process.send?.(envelope, undefined, {}, () => {
      if (stopping) process.exit(0);
    });
  })();
});
// The coordinator is gone (it failed or was interrupted): nothing is left to report to.
process.on('disconnect', () => process.exit(1));
