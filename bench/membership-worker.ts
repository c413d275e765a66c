// A worker process of bench:membership: runs its share of the N nodes and answers the coordinator over IPC
// (bench/membership-ipc.ts). Each node records its own milestones (full view, mesh formed, a peer marked down)
// with the shared wall clock, so the coordinator's polling period never adds to a measured time.
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
import { BENCH_REGION, BENCH_TIER, BENCH_TOPIC, benchP2p } from './membership-node.ts';

interface WorkerNode {
  readonly p2p: P2pService;
  readonly membership: MembershipService;
  readonly peerId: string;
  delivered: number;
  fullAt: number | null;
  meshAt: number | null;
  downAt: number | null;
  downReason: string | null;
  stopped: boolean;
}

const gc = (globalThis as { gc?: () => void }).gc;
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

if (process.send === undefined) throw new Error('membership-worker runs as a child of bench/membership.ts');
gc?.();
const baselineRssBytes = process.memoryUsage().rss;
const nodes: WorkerNode[] = [];
let setup: WorkerSetup | null = null;
let watched: string | null = null;
let meshTimer: ReturnType<typeof setInterval> | null = null;

const upCount = (node: WorkerNode): number =>
  node.membership
    .view(BENCH_TIER)
    ?.members()
    .filter((member) => member.status === 'up').length ?? 0;

async function start(config: WorkerSetup): Promise<WorkerReply> {
  setup = config;
  const keys = await Promise.all(Array.from({ length: config.count }, () => generateKeyPair('Ed25519')));
  for (const key of keys) {
    const p2p = benchP2p(key, { bootstrap: [config.bootstrap], relay: false, dht: config.dht });
    await p2p.start();
    const membership = new MembershipService(
      { libp2p: p2p.libp2p },
      {
        heartbeatIntervalMs: config.heartbeatMs,
        missedHeartbeats: config.missedHeartbeats,
        version: 'bench',
      },
    );
    await membership.start();
    const node: WorkerNode = {
      p2p,
      membership,
      peerId: p2p.peerId,
      delivered: 0,
      fullAt: null,
      meshAt: null,
      downAt: null,
      downReason: null,
      stopped: false,
    };
    p2p.pubsub.addEventListener('message', () => {
      node.delivered += 1;
    });
    membership.addEventListener('member-change', (event) => {
      const change = event.detail;
      if (node.fullAt === null && upCount(node) >= config.expectedMembers) node.fullAt = Date.now();
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
      up: node.stopped ? 0 : upCount(node),
      mesh: node.stopped ? 0 : node.p2p.pubsub.getMeshPeers(BENCH_TOPIC).length,
      connections: node.p2p.connectionCount(),
      subscribers: node.stopped ? 0 : node.p2p.pubsub.getSubscribers(BENCH_TOPIC).length,
      fullAt: node.fullAt,
      meshAt: node.meshAt,
      downAt: node.downAt,
      downReason: node.downReason,
      stopped: node.stopped,
    })),
  };
}

async function window(ms: number): Promise<WorkerReply> {
  for (const node of nodes) node.delivered = 0;
  const cpuBefore = process.cpuUsage();
  const eluBefore = performance.eventLoopUtilization();
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const started = performance.now();
  await sleep(ms);
  delay.disable();
  const cpu = process.cpuUsage(cpuBefore);
  return {
    type: 'window',
    result: {
      deliveries: nodes.reduce((sum, node) => sum + node.delivered, 0),
      cpuMs: (cpu.user + cpu.system) / 1000,
      wallMs: performance.now() - started,
      eventLoopUtilization: performance.eventLoopUtilization(eluBefore).utilization,
      loopDelayP99Ms: delay.percentile(99) / 1e6,
      loopDelayMaxMs: delay.max / 1e6,
    },
  };
}

async function join(): Promise<WorkerReply> {
  const config = setup;
  if (config === null) throw new Error('join before start');
  await Promise.all(
    nodes.map((node) =>
      node.membership.join({ region: BENCH_REGION, serve: [BENCH_TIER], watch: [BENCH_TIER] }),
    ),
  );
  // The mesh has no event of its own: sample it until every node here has formed one.
  meshTimer = setInterval(() => {
    const now = Date.now();
    let pending = 0;
    for (const node of nodes) {
      if (node.meshAt !== null) continue;
      if (node.p2p.pubsub.getMeshPeers(BENCH_TOPIC).length >= config.meshTarget) node.meshAt = now;
      else pending += 1;
    }
    if (pending === 0 && meshTimer !== null) clearInterval(meshTimer);
  }, 50);
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
  // The member keeps its connections and its view but stops beating: only missed heartbeats reveal it.
  if (node !== undefined) node.p2p.pubsub.publish = () => Promise.resolve({ recipients: [] });
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
  if (meshTimer !== null) clearInterval(meshTimer);
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
