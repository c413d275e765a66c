// npm run bench:weights — issue 14: the same generated model file fetched (1) from one local HTTP server by
// the download manager (the baseline), (2) from three seeders over bitswap alone, (3) from both at once,
// all real processes on loopback; then a capped seeder's upload rate over a 30 s window. Prints machine and
// date, one line per run, and last one JSON object.
// Env: WEIGHTS_BENCH_MB (file size, default 256), WEIGHTS_BENCH_CAP_WINDOW_S (default 30),
// WEIGHTS_BENCH_POLICY (scheduler settings as JSON), WEIGHTS_PEER_NODE_ARGS (Node flags for the peers).
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { downloadFile } from '../src-main/node/models/download-file.ts';
import {
  PeerProcess,
  dialAddress,
  generateModelFile,
  serveRanges,
} from '../test/src-main/node/weights/weights-swarm-kit.ts';
import type { PeerProcessEvent } from '../test/src-main/node/weights/weights-peer-process.ts';

const MB = 1e6;
const sizeBytes = Number(process.env.WEIGHTS_BENCH_MB ?? 256) * 1024 * 1024;
const capWindowS = Number(process.env.WEIGHTS_BENCH_CAP_WINDOW_S ?? 30);
// WEIGHTS_BENCH_POLICY: leaf-scheduler settings to try (JSON), e.g. '{"peerDepth":8}'.
const policyOverrides = JSON.parse(process.env.WEIGHTS_BENCH_POLICY ?? '{}') as Record<string, unknown>;

const dir = await mkdtemp(join(tmpdir(), 'og-bench-weights-'));
const modelPath = join(dir, 'model.gguf');
const server = await serveRanges(modelPath);
const port = (server.address() as { port: number }).port;
const url = `http://127.0.0.1:${port}/model.gguf`;
const file = await generateModelFile(modelPath, sizeBytes, [url]);
const children: PeerProcess[] = [];
const track = (peer: PeerProcess) => (children.push(peer), peer);

console.log(
  `bench:weights ${new Date().toISOString()} · ${cpus().length}× ${cpus()[0]?.model ?? '?'} · ` +
    `${Math.round(totalmem() / 2 ** 30)} GiB · file ${(sizeBytes / MB).toFixed(0)} MB`,
);

try {
  // Baseline: the download manager from the local HTTP server.
  let started = performance.now();
  await downloadFile(file, join(dir, 'http.gguf'));
  const httpMBps = sizeBytes / MB / ((performance.now() - started) / 1000);
  console.log(`http only (download manager, one server): ${httpMBps.toFixed(1)} MB/s`);

  // The first seeder is also the network's relay, as a region has one: without any, every node keeps
  // random-walking the DHT for a relay to reserve, which costs each process a good part of a core.
  const seed0 = track(
    new PeerProcess({ role: 'seed', blocksDir: join(dir, 's0'), file, path: modelPath, relayServer: true }),
  );
  const ready = [await seed0.ready(600_000)];
  const more = [1, 2].map((i) =>
    track(
      new PeerProcess({
        role: 'seed',
        blocksDir: join(dir, `s${i}`),
        file,
        path: modelPath,
        bootstrap: [dialAddress(ready[0]!)],
      }),
    ),
  );
  ready.push(...(await Promise.all(more.map((p) => p.ready(600_000)))));

  const fetchRun = async (name: string, originMode: 'never' | 'always') => {
    const fetcher = track(
      new PeerProcess({
        role: 'fetch',
        blocksDir: join(dir, `f-${name}`),
        file,
        path: join(dir, `${name}.gguf`),
        bootstrap: ready.map(dialAddress),
        providers: ready.map((r) => r.peerId),
        policy: { ...policyOverrides, originMode },
      }),
    );
    // A process's start-up takes minutes at a load average of 40 (other agents' builds): wait for it.
    await fetcher.ready(600_000);
    started = performance.now();
    const readyAt = Date.now();
    const done = await fetcher.done(3_600_000);
    const mbps = sizeBytes / MB / ((performance.now() - started) / 1000);
    if (process.env.WEIGHTS_BENCH_TIMELINE) printTimeline(fetcher.events, readyAt);
    console.log(
      `${name}: ${mbps.toFixed(1)} MB/s · peers ${(done.peerBytes / MB).toFixed(0)} MB, origin ` +
        `${(done.originBytes / MB).toFixed(0)} MB · CPU ${(done.fetchCpuMs / 1000).toFixed(1)} s in the fetch ` +
        `(${(done.cpuMs / 1000).toFixed(1)} s with start-up) · ` +
        `peak RSS ${(done.peakRssBytes / 2 ** 20).toFixed(0)} MiB`,
    );
    return { mbps, done };
  };
  const peersOnly = await fetchRun('peers only (3 seeders)', 'never');
  const both = await fetchRun('peers + origin', 'always');

  // Upload cap: one capped seeder, one fetcher, uploaded bytes sampled over the window.
  const cap = Math.max(256 * 1024, Math.min(4 * 1024 * 1024, Math.floor(sizeBytes / (capWindowS + 10))));
  const capped = track(
    new PeerProcess({
      role: 'seed',
      blocksDir: join(dir, 's-capped'),
      file,
      path: modelPath,
      uploadBytesPerSecond: cap,
      relayServer: true, // A network of two: it is its own relay (no endless relay search).
    }),
  );
  const cappedReady = await capped.ready(600_000);
  track(
    new PeerProcess({
      role: 'fetch',
      blocksDir: join(dir, 'f-capped'),
      file,
      path: join(dir, 'capped.gguf'),
      bootstrap: [dialAddress(cappedReady)],
      providers: [cappedReady.peerId],
      policy: { originMode: 'never' },
    }),
  );
  const uploaded = () =>
    capped.events
      .filter((e): e is Extract<PeerProcessEvent, { event: 'seeding' }> => e.event === 'seeding')
      .at(-1)?.uploadedBytes ?? 0;
  // Skip the first seconds (connection, DAG root) and measure a full window.
  while (uploaded() === 0) await new Promise((resolve) => setTimeout(resolve, 200));
  await new Promise((resolve) => setTimeout(resolve, 3000));
  const from = uploaded();
  const windowStart = performance.now();
  await new Promise((resolve) => setTimeout(resolve, capWindowS * 1000));
  const capRate = (uploaded() - from) / ((performance.now() - windowStart) / 1000);
  console.log(
    `upload cap ${(cap / MB).toFixed(2)} MB/s: measured ${(capRate / MB).toFixed(2)} MB/s over ${capWindowS} s ` +
      `(${((capRate / cap) * 100).toFixed(0)} % of the cap)`,
  );

  // The fetch alone: a node starts once and fetches many files, so start-up (module loading) is not per GB.
  const cpuSecPerGB = peersOnly.done.fetchCpuMs / 1000 / (sizeBytes / 1e9);
  console.log(
    JSON.stringify({
      fileMB: Math.round(sizeBytes / MB),
      httpMBps: round(httpMBps),
      peersOnlyMBps: round(peersOnly.mbps),
      ratioVsHttp: round(peersOnly.mbps / httpMBps, 3),
      bothMBps: round(both.mbps),
      bothVsHttp: round(both.mbps / httpMBps, 3),
      bothOriginShare: round(both.done.originBytes / sizeBytes, 3),
      cpuSecPerGB: round(cpuSecPerGB),
      peakRssMb: Math.round(peersOnly.done.peakRssBytes / 2 ** 20),
      uploadCapMBps: round(cap / MB, 3),
      uploadMeasuredMBps: round(capRate / MB, 3),
      uploadCapRatio: round(capRate / cap, 3),
    }),
  );
} finally {
  // SIGTERM when profiling: a peer writes its --cpu-prof file only when it exits on its own.
  const signal = process.env.WEIGHTS_PEER_NODE_ARGS ? 'SIGTERM' : 'SIGKILL';
  await Promise.all(children.map((child) => child.kill(signal)));
  server.close();
  await rm(dir, { recursive: true, force: true });
}

function round(value: number, digits = 2): number {
  return Number(value.toFixed(digits));
}

/** WEIGHTS_BENCH_TIMELINE=1: MB from peers and from the origin in each second since the fetcher was ready. */
function printTimeline(events: readonly PeerProcessEvent[], readyAt: number): void {
  const seconds: { peers: number; origin: number }[] = [];
  let last = { peerBytes: 0, originBytes: 0 };
  for (const event of events) {
    if (event.event !== 'progress' || event.at === undefined) continue;
    const second = Math.max(0, Math.floor((event.at - readyAt) / 1000));
    while (seconds.length <= second) seconds.push({ peers: 0, origin: 0 });
    seconds[second]!.peers += event.peerBytes - last.peerBytes;
    seconds[second]!.origin += event.originBytes - last.originBytes;
    last = event;
  }
  const rows = seconds.map((s, i) => `${i}s ${(s.peers / MB).toFixed(1)}+${(s.origin / MB).toFixed(1)}`);
  console.log(`  timeline (MB from peers+origin per second after ready): ${rows.join(' · ')}`);
}
