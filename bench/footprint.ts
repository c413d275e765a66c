// Memory of an idle node (issue 17 item 4): one real `opengateway-node start` process (no engine, not
// serving a tier) on 127.0.0.1 with 50 peers connected to it. The peers are lightweight real libp2p nodes
// (TCP, Noise, Yamux, identify, ping) in this process, so only the node's own process is measured: RSS from
// the kernel, heap and external memory from the node itself (a probe preloaded with --import answers over IPC,
// after two full GCs). The same node runs three times in this process: from the .ts sources with node's
// defaults (how it ran before issue 17), from the sources with the V8 flags and environment it is launched
// with (src-main/cli/runtime-flags.ts), and as it is launched now: the bundle (scripts/build-node.ts) with
// those flags and environment.
// Usage: npm run bench:footprint [-- --peers 50 --idle-s 20]
// Last line: one JSON object { peers, rssMb, heapUsedMb, externalMb, ... } (the bundle's figures).
import { fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p, type Libp2p } from 'libp2p';
import { ensureNodeBuilt, NODE_BUNDLE, NODE_SOURCE } from '../scripts/node-build.js';
import { loadOrCreateNodeKey } from '../src-main/node/identity/node-key.ts';
import { locationsFor } from '../src-main/node/locations.ts';
import { freeLoopbackPort } from '../src-main/node/net/free-loopback-port.ts';
import { initNetwork } from '../src-main/node/network-config/init-network.ts';
import { writeFirstRun } from '../src-main/node/onboarding/first-run-record.ts';
import { ensureDataDir } from '../src-main/node/storage/data-dir.ts';
import { NODE_MEMORY_ENV, NODE_MEMORY_FLAGS } from '../src-main/cli/runtime-flags.ts';

const { values } = parseArgs({
  options: {
    peers: { type: 'string', default: '50' },
    'idle-s': { type: 'string', default: '20' },
  },
});
const PEERS = Number(values.peers);
const IDLE_MS = Number(values['idle-s']) * 1000;
const GOAL_MB = 120;

interface NodeMemory {
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

console.log(
  `footprint bench: ${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}, node ${process.version}, ${new Date().toISOString()}`,
);
interface Measured {
  readonly connected: number;
  readonly alone: NodeMemory;
  readonly aloneRss: number;
  readonly idle: NodeMemory;
  readonly idleRss: number;
}

// Preloaded into the node process: its own memory figures on request, after two full collections. A data:
// URL of plain JavaScript, so the probe loads nothing the node would not load itself.
const PROBE = `data:text/javascript,${encodeURIComponent(`
process.on('message', (message) => {
  if (message !== 'memory') return;
  globalThis.gc(); globalThis.gc();
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  process.send({ rss, heapUsed, heapTotal, external, arrayBuffers });
});`)}`;

/**
 * Start the node from `entry` with `flags` and `env`, measure it alone, connect the peers, idle, measure
 * again, stop all.
 */
async function measure(
  entry: string,
  flags: readonly string[],
  env: Readonly<Record<string, string>>,
): Promise<Measured> {
  const root = await mkdtemp(join(tmpdir(), 'og-footprint-'));
  const peers: Libp2p[] = [];
  let child: ReturnType<typeof fork> | null = null;
  try {
    const dataDir = join(root, 'node');
    await ensureDataDir(dataDir);
    await writeFirstRun(dataDir, true);
    const { privateKey } = await loadOrCreateNodeKey(locationsFor(dataDir).identityKey);
    const peerId = peerIdFromPrivateKey(privateKey).toString();
    const port = await freeLoopbackPort();
    const address = `/ip4/127.0.0.1/tcp/${port}/p2p/${peerId}`;
    const network = await initNetwork({
      outDir: join(root, 'network'),
      founders: 1,
      threshold: 1,
      bootstrap: [address],
      networkId: `footprint-${Date.now().toString(36)}`,
      genesis: [],
    });
    child = fork(
      entry,
      [
      'start', '--data-dir', dataDir, '--network-config', network.configPath, '--listen', `/ip4/127.0.0.1/tcp/${port}`,
      '--region', 'asia', '--simulated-machine', 'footprint', '--relay',
    ], // prettier-ignore
      {
        execArgv: ['--expose-gc', '--disable-warning=ExperimentalWarning', '--import', PROBE, ...flags],
        env: { ...process.env, ...env, OPENGATEWAY_LOCAL_ONLY: '1' },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      },
    );
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-5000)));
    const node = child;
    const memory = () =>
      new Promise<NodeMemory>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('the node did not report its memory')), 30_000);
        node.once('message', (message) => {
          clearTimeout(timer);
          resolve(message as NodeMemory);
        });
        node.send('memory');
      });
    const rssFromKernel = () => {
      const status = readFileSync(`/proc/${node.pid}/status`, 'utf8');
      return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    };

    // Ready when the node's local API answers.
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (node.exitCode !== null) throw new Error(`the node exited early:\n${output}`);
      try {
        const endpoint = JSON.parse(readFileSync(locationsFor(dataDir).apiEndpoint, 'utf8')) as {
          url: string;
        };
        const key = readFileSync(locationsFor(dataDir).apiKey, 'utf8').trim();
        const response = await fetch(`${endpoint.url}/api/status`, {
          headers: { authorization: `Bearer ${key}` },
        });
        if (response.ok) break;
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`the node was not ready in 60 s:\n${output}`);
      await sleep(250);
    }
    await sleep(2000);
    const alone = await memory();
    const aloneRss = rssFromKernel();

    for (let i = 0; i < PEERS; i++) {
      const peer = await createLibp2p({
        addresses: { listen: [] },
        transports: [tcp()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        services: { identify: identify(), ping: ping() },
      });
      peers.push(peer);
      // The local API can answer before libp2p listens (a loaded machine): retry the dial a while.
      for (let attempt = 0; ; attempt++) {
        try {
          await peer.dial(multiaddr(address));
          break;
        } catch (error) {
          if (attempt >= 40) throw error;
          await sleep(500);
        }
      }
    }
    await sleep(IDLE_MS);
    const connected = peers.filter((p) => p.getConnections().length > 0).length;
    const idle = await memory();
    const idleRss = rssFromKernel();

    return { connected, alone, aloneRss, idle, idleRss };
  } finally {
    await Promise.allSettled(peers.map(async (p) => p.stop()));
    if (child && child.exitCode === null) {
      const exited = new Promise((done) => child!.once('exit', done));
      child.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    await rm(root, { recursive: true, force: true });
  }
}

const problem = ensureNodeBuilt();
if (problem !== null) throw new Error(`the node bundle could not be built: ${problem}`);
const launched = [
  ...NODE_MEMORY_FLAGS,
  ...Object.entries(NODE_MEMORY_ENV).map(([name, value]) => `${name}=${value}`),
].join(' ');
const runs: [string, Measured][] = [
  ['.ts sources, defaults', await measure(NODE_SOURCE, [], {})],
  [`.ts sources, ${launched}`, await measure(NODE_SOURCE, NODE_MEMORY_FLAGS, NODE_MEMORY_ENV)],
  [`bundle, ${launched} (as launched)`, await measure(NODE_BUNDLE, NODE_MEMORY_FLAGS, NODE_MEMORY_ENV)],
];
console.log('| node | RSS (kernel) MB | heap used MB | heap total MB | external MB | array buffers MB |');
console.log('|---|---|---|---|---|---|');
for (const [name, run] of runs)
  for (const [when, m, rss] of [
    ['alone', run.alone, run.aloneRss],
    [`${run.connected} peers, idle`, run.idle, run.idleRss],
  ] as const)
    console.log(
      `| ${name}, ${when} | ${mb(rss)} | ${mb(m.heapUsed)} | ${mb(m.heapTotal)} | ${mb(m.external)} | ${mb(m.arrayBuffers)} |`,
    );
const [defaults, sources, bundle] = runs.map(([, run]) => run) as [Measured, Measured, Measured];
console.log(
  `idle node with ${bundle.connected} peers: ${mb(bundle.idleRss)} MB RSS (sources ${mb(sources.idleRss)} MB, ` +
    `sources with defaults ${mb(defaults.idleRss)} MB; goal ≤ ${GOAL_MB} MB); load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
);
console.log(
  JSON.stringify({
    peers: bundle.connected,
    rssMb: mb(bundle.idleRss),
    heapUsedMb: mb(bundle.idle.heapUsed),
    externalMb: mb(bundle.idle.external),
    heapTotalMb: mb(bundle.idle.heapTotal),
    sourcesRssMb: mb(sources.idleRss),
    bundleVsSources: Math.round((bundle.idleRss / sources.idleRss) * 1000) / 1000,
    defaultFlagsRssMb: mb(defaults.idleRss),
    goalRssMb: GOAL_MB,
    loadAverage: Math.round(loadavg()[0]! * 10) / 10,
  }),
);
