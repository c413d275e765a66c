// One idle node measured for bench/footprint.ts: a real `opengateway-node start` process (no engine, not
// serving a tier) on 127.0.0.1, started by any command line (the launcher as a user runs it, the bundle or the
// .ts sources with given flags), with `peers` lightweight real libp2p nodes (TCP, Noise, Yamux, identify,
// ping) in the bench's process connected to it. The measured process is the one that wrote the node's
// api.json (a launcher that re-executes itself keeps its pid). RSS comes from the kernel; heap figures from a
// probe preloaded through NODE_OPTIONS that answers SIGUSR2 by writing them to a file.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { identify } from '@libp2p/identify';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { multiaddr } from '@multiformats/multiaddr';
import { createLibp2p, type Libp2p } from 'libp2p';
import { loadOrCreateNodeKey } from '../src-main/node/identity/node-key.ts';
import { locationsFor } from '../src-main/node/locations.ts';
import { readApiEndpoint } from '../src-main/node/local-api/http/api-endpoint-file.ts';
import { freeLoopbackPort } from '../src-main/node/net/free-loopback-port.ts';
import { initNetwork } from '../src-main/node/network-config/init-network.ts';
import { writeFirstRun } from '../src-main/node/onboarding/first-run-record.ts';
import { ensureDataDir } from '../src-main/node/storage/data-dir.ts';

/** How to start the node: `process.execPath` with `args` (before `start …`) and this environment. */
export interface NodeLaunch {
  readonly name: string;
  readonly args: readonly string[];
  /** Added to the bench's environment; `undefined` removes a variable. */
  readonly env: Readonly<Record<string, string | undefined>>;
}

export interface ProbeMemory {
  /** Before the probe's collections. */
  readonly rssBeforeGc: number;
  readonly rss: number;
  readonly heapUsed: number;
  readonly heapTotal: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

export interface KernelMemory {
  readonly rss: number;
  readonly rssAnon: number;
  readonly rssFile: number;
}

export interface Measured {
  readonly pid: number;
  readonly connected: number;
  /** The node alone, after it answered and settled; kernel figures. */
  readonly alone: KernelMemory;
  /** With the peers, after the idle time: the median of the kernel's RSS sampled once a second. */
  readonly idle: KernelMemory;
  readonly idleSamples: readonly number[];
  /** Then the probe (two full collections first). */
  readonly probe: ProbeMemory;
  /** The kernel's RSS after the probe's collections. */
  readonly afterGc: KernelMemory;
}

export interface MeasureOptions {
  readonly peers: number;
  readonly idleMs: number;
  readonly samples: number;
  /** Called with the node's pid after the idle samples, before the probe (diagnostics: smaps, snapshots). */
  readonly inspect?: (pid: number) => Promise<void>;
}

// Preloaded into every node process (NODE_OPTIONS=--import): on SIGUSR2, its memory before and after two full
// collections into OG_FOOTPRINT_PROBE.<pid>. A data: URL of plain JavaScript, so the probe loads nothing the
// node would not load itself; inert where the variable is unset.
const PROBE_SOURCE = `
import { writeFileSync, renameSync } from 'node:fs';
const out = process.env.OG_FOOTPRINT_PROBE;
if (out && typeof globalThis.gc === 'function') process.on('SIGUSR2', () => {
  const rssBeforeGc = process.memoryUsage.rss();
  globalThis.gc(); globalThis.gc();
  const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
  const file = out + '.' + process.pid;
  writeFileSync(file + '.tmp', JSON.stringify({ rssBeforeGc, rss, heapUsed, heapTotal, external, arrayBuffers }));
  renameSync(file + '.tmp', file);
});`;
const PROBE_OPTIONS = `--expose-gc --import=data:text/javascript,${encodeURIComponent(PROBE_SOURCE)}`;

const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export function kernelMemory(pid: number): KernelMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), rssAnon: kb('RssAnon'), rssFile: kb('RssFile') };
}

/** Start the node as `launch` says, measure it alone, connect the peers, idle, measure again, stop all. */
export async function measureNode(launch: NodeLaunch, options: MeasureOptions): Promise<Measured> {
  const root = await mkdtemp(join(tmpdir(), 'og-footprint-'));
  const peers: Libp2p[] = [];
  let child: ChildProcess | null = null;
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
    const probeFile = join(root, 'probe');
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries({ ...process.env, ...launch.env }))
      if (value !== undefined) env[name] = value;
    env.NODE_OPTIONS = [env.NODE_OPTIONS, PROBE_OPTIONS].filter(Boolean).join(' ');
    env.OG_FOOTPRINT_PROBE = probeFile;
    env.OPENGATEWAY_LOCAL_ONLY = '1';
    child = spawn(
      process.execPath,
      [
        ...launch.args,
        'start', '--data-dir', dataDir, '--network-config', network.configPath, '--listen', `/ip4/127.0.0.1/tcp/${port}`,
        '--region', 'asia', '--simulated-machine', 'footprint', '--relay',
      ], // prettier-ignore
      { env, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let output = '';
    child.stderr?.on('data', (chunk: Buffer) => (output = (output + chunk.toString()).slice(-5000)));
    const node = child;

    // Ready when the node's local API answers; the node is whichever process wrote api.json.
    let pid = -1;
    const deadline = Date.now() + 90_000;
    for (;;) {
      if (node.exitCode !== null) throw new Error(`the node exited early:\n${output}`);
      try {
        const endpoint = await readApiEndpoint(locationsFor(dataDir).apiEndpoint);
        if (endpoint !== null) {
          const key = readFileSync(locationsFor(dataDir).apiKey, 'utf8').trim();
          const response = await fetch(`${endpoint.url}/api/status`, {
            headers: { authorization: `Bearer ${key}` },
          });
          if (response.ok) {
            pid = endpoint.pid;
            break;
          }
        }
      } catch {
        // not yet
      }
      if (Date.now() > deadline) throw new Error(`the node was not ready in 90 s:\n${output}`);
      await sleep(250);
    }
    await sleep(2000);
    const alone = kernelMemory(pid);

    for (let i = 0; i < options.peers; i++) {
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
    await sleep(options.idleMs);
    const samples: KernelMemory[] = [];
    for (let i = 0; i < options.samples; i++) {
      if (i > 0) await sleep(1000);
      samples.push(kernelMemory(pid));
    }
    const connected = peers.filter((p) => p.getConnections().length > 0).length;
    const idleRss = median(samples.map((s) => s.rss));
    const idle = {
      rss: idleRss,
      rssAnon: median(samples.map((s) => s.rssAnon)),
      rssFile: median(samples.map((s) => s.rssFile)),
    };

    await options.inspect?.(pid);
    process.kill(pid, 'SIGUSR2');
    const probeDeadline = Date.now() + 30_000;
    let probe: ProbeMemory | null = null;
    while (probe === null) {
      probe = await readFile(`${probeFile}.${pid}`, 'utf8').then(
        (text) => JSON.parse(text) as ProbeMemory,
        () => null,
      );
      if (probe === null) {
        if (Date.now() > probeDeadline) throw new Error('the node did not report its memory');
        await sleep(100);
      }
    }
    const afterGc = kernelMemory(pid);
    return {
      pid,
      connected,
      alone,
      idle,
      idleSamples: samples.map((s) => s.rss),
      probe,
      afterGc,
    };
  } finally {
    await Promise.allSettled(peers.map(async (p) => p.stop()));
    if (child && child.exitCode === null) {
      const running = child;
      const exited = new Promise((done) => running.once('exit', done));
      running.kill('SIGTERM');
      await Promise.race([exited, sleep(10_000)]);
      if (running.exitCode === null) running.kill('SIGKILL');
    }
    await rm(root, { recursive: true, force: true });
  }
}
