// `npm run devnet -- --nodes N [--regions asia,europe] [--json] [--genesis-tokens T] [--price P]
// [--engine builtin|exo-double] [--model-rate BYTES_PER_S]`: a fresh local network on 127.0.0.1 — its own
// signed config, a bootstrap/relay node and N nodes as separate processes, each with its own data folder and
// region. Workers serve with the built-in engine by default: real llama.cpp running a generated test model
// (random weights, so the text means nothing), which every worker downloads from the devnet's own model
// origin on 127.0.0.1 through the real download path (the devnet's catalog names it). `--engine exo-double`
// runs the EXO double instead, a SIMULATED engine (deterministic text, no model). Every node acts as its own
// machine for the ledger's machine binding (--simulated-machine <name>). Runs until Ctrl-C, then stops
// everything it started.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { parseRegionId, type RegionId } from '../src-shared/regions/index.ts';
import { loadOrCreateNodeKey } from '../src-main/node/identity/node-key.ts';
import { locationsFor } from '../src-main/node/locations.ts';
import { initNetwork } from '../src-main/node/network-config/init-network.ts';
import { ensureDataDir } from '../src-main/node/storage/data-dir.ts';
import { writeFirstRun } from '../src-main/node/onboarding/first-run-record.ts';
import { freeLoopbackPort } from '../src-main/node/net/free-loopback-port.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import { ensureNodeBuilt } from './node-build.js';
import { NODE_MEMORY_ENV, NODE_MEMORY_FLAGS } from '../src-main/cli/runtime-flags.ts';
import { startModelOrigin, type ModelOrigin } from './model-origin.ts';
import type { ModelCatalog } from '../src-shared/network-config/index.ts';
import { testModelId } from '../test/model-gen/write-test-model.ts';
import { tinyModelCatalog, writeTinyTestModel } from './test-model-catalog.ts';

const ROOT = resolve(import.meta.dirname, '..');
// Every node runs what `opengateway-node` runs: the bundle (out/node/bin.js), built once below if stale.
const BIN = join(ROOT, 'scripts', 'opengateway-node.js');
const NODE_ARGS = ['--disable-warning=ExperimentalWarning', ...NODE_MEMORY_FLAGS];
const SIMULATED_EXO = join(ROOT, 'test', 'exo-double', 'bin', 'exo');

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    regions: { type: 'string', default: 'asia' },
    json: { type: 'boolean', default: false },
    dir: { type: 'string' },
    keep: { type: 'boolean', default: false },
    'token-rate': { type: 'string', default: '40' },
    capacity: { type: 'string', default: '2' },
    'heartbeat-ms': { type: 'string', default: '1000' },
    'ready-timeout-ms': { type: 'string', default: '60000' },
    'genesis-tokens': { type: 'string', default: '10000' },
    price: { type: 'string' },
    engine: { type: 'string', default: 'builtin' },
    'model-rate': { type: 'string' },
  },
});

function fail(message: string): never {
  process.stderr.write(`devnet: ${message}\n`);
  process.exit(2);
}

const count = Number(values.nodes);
if (!Number.isInteger(count) || count < 1 || count > 50) fail('--nodes needs a whole number from 1 to 50');
const genesisTokens = Number(values['genesis-tokens']);
if (!Number.isSafeInteger(genesisTokens) || genesisTokens < 0)
  fail('--genesis-tokens needs a whole number of tokens');
const price = values.price === undefined ? undefined : Number(values.price);
if (price !== undefined && (!Number.isSafeInteger(price) || price < 1))
  fail('--price needs a whole number of tokens per 1,000 work units');
const engine = values.engine;
if (engine !== 'builtin' && engine !== 'exo-double') fail('--engine is builtin or exo-double');
const modelRate = values['model-rate'] === undefined ? undefined : Number(values['model-rate']);
if (modelRate !== undefined && (!Number.isSafeInteger(modelRate) || modelRate < 1024))
  fail('--model-rate needs bytes per second (at least 1024)');
const regions = values.regions
  .split(',')
  .map((name) => parseRegionId(name) ?? fail(`unknown region "${name}"`));
const say = (line: string) => (values.json ? process.stderr : process.stdout).write(`${line}\n`);

interface Member {
  readonly name: string;
  readonly role: 'bootstrap' | 'worker';
  readonly region: RegionId;
  readonly dataDir: string;
  readonly peerId: string;
  process?: ChildProcess;
  output: string;
}

async function prepare(root: string, name: string, role: Member['role'], region: RegionId): Promise<Member> {
  const dataDir = join(root, name);
  await ensureDataDir(dataDir);
  // A devnet is the developer's own network, started in order to serve: its dashboards open on the Overview,
  // not on a welcome asking each node for consent (first-run.json holds the answer, as the welcome writes it).
  await writeFirstRun(dataDir, true);
  const { privateKey } = await loadOrCreateNodeKey(locationsFor(dataDir).identityKey);
  return { name, role, region, dataDir, peerId: peerIdFromPrivateKey(privateKey).toString(), output: '' };
}

function launch(member: Member, args: readonly string[]): void {
  const child = spawn(process.execPath, [...NODE_ARGS, BIN, 'start', ...args], {
    // Its own process group, so stopping the devnet reaches everything the node started.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      ...NODE_MEMORY_ENV,
      // A devnet lives on 127.0.0.1: nothing of it may leave the machine (no mDNS, UPnP or name lookups).
      OPENGATEWAY_LOCAL_ONLY: '1',
      EXO_DOUBLE_NODE: process.execPath,
      EXO_DOUBLE_TOKEN_RATE: values['token-rate'],
      EXO_DOUBLE_LOAD_STEP_MS: '20',
    },
  });
  const keep = (chunk: Buffer) => {
    member.output = (member.output + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  member.process = child;
}

interface NodeReport {
  state: { status: string };
  engines: Record<string, { status: string }>;
  clusters: Array<{ key: string; members: Array<{ status: string; engine: string }> }>;
}

async function apiOf(member: Member): Promise<{ url: string; key: string } | null> {
  const locations = locationsFor(member.dataDir);
  try {
    const endpoint = JSON.parse(await readFile(locations.apiEndpoint, 'utf8')) as { url: string };
    const key = (await readFile(locations.apiKey, 'utf8')).trim();
    return { url: endpoint.url, key };
  } catch {
    return null;
  }
}

async function statusOf(member: Member): Promise<NodeReport | null> {
  const api = await apiOf(member);
  if (!api) return null;
  try {
    const response = await fetch(`${api.url}/api/status`, {
      headers: { authorization: `Bearer ${api.key}` },
    });
    return response.ok ? ((await response.json()) as NodeReport) : null;
  } catch {
    return null;
  }
}

/** Whether the node's ledger account is open (after its first sync), so it can pay and be paid. */
async function accountOpen(member: Member): Promise<boolean> {
  const api = await apiOf(member);
  if (!api) return false;
  try {
    const response = await fetch(`${api.url}/api/ledger?limit=1`, {
      headers: { authorization: `Bearer ${api.key}` },
    });
    return response.ok && ((await response.json()) as { account: { opened: boolean } }).account.opened;
  } catch {
    return false;
  }
}

/**
 * Ready: the node says so, its ledger account is open, a worker's engine is ready, and it sees every worker
 * of its region up.
 */
async function isReady(member: Member, workers: readonly Member[]): Promise<boolean> {
  const report = await statusOf(member);
  if (!report || report.state.status !== 'ready') return false;
  if (!(await accountOpen(member))) return false;
  if (member.role === 'bootstrap') return true;
  const cluster = `${member.region}/model-a`;
  if (report.engines[cluster]?.status !== 'ready') return false;
  const expected = workers.filter((worker) => worker.region === member.region).length;
  const up = report.clusters
    .find((entry) => entry.key === cluster)
    ?.members.filter((m) => m.status === 'up' && m.engine === 'ready').length;
  return up === expected;
}

/** Processes whose command line or working directory is inside `root`: engines a node left behind. */
async function leftovers(root: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmdline = (await readFile(`/proc/${entry}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      const cwd = await readlink(`/proc/${entry}/cwd`).catch(() => '');
      if (cmdline.includes(root) || cwd.startsWith(root)) pids.push(Number(entry));
    } catch {
      // gone already
    }
  }
  return pids;
}

async function stopAll(members: readonly Member[], root: string): Promise<void> {
  const running = members.filter((member) => member.process && member.process.exitCode === null);
  const exits = running.map(
    (member) => new Promise<void>((done) => member.process!.once('exit', () => done())),
  );
  for (const member of running) process.kill(member.process!.pid!, 'SIGTERM');
  const graceful = await Promise.race([
    Promise.all(exits).then(() => true),
    new Promise<boolean>((done) => setTimeout(() => done(false), 20_000)),
  ]);
  if (!graceful) {
    for (const member of running) {
      try {
        process.kill(-member.process!.pid!, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
  }
  for (const pid of await leftovers(root)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // exited meanwhile
    }
  }
}

/**
 * The devnet's model: the generated tiny llama (its file, size and hash) served from the devnet's own origin,
 * and a catalog naming it as model-a's built-in model, so workers fetch it like any node fetches its model.
 */
async function devnetModel(root: string): Promise<{ origin: ModelOrigin; catalog: ModelCatalog }> {
  await ensureDataDir(join(root, 'model-origin'));
  const model = await writeTinyTestModel(join(root, 'model-origin'));
  const origin = await startModelOrigin(
    [model.path],
    modelRate !== undefined ? { bytesPerSecond: modelRate } : {},
  );
  return { origin, catalog: tinyModelCatalog(model, origin.urls.get(`${model.id}.gguf`)!) };
}

const root = values.dir ? resolve(values.dir) : await mkdtemp(join(tmpdir(), 'og-devnet-'));
const members: Member[] = [];
let origin: ModelOrigin | null = null;
let stopping = false;
const stop = async (code: number) => {
  if (stopping) return;
  stopping = true;
  say('devnet: stopping every node');
  await stopAll(members, root);
  await origin?.stop();
  if (!values.keep && !values.dir) await rm(root, { recursive: true, force: true });
  process.exit(code);
};
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

try {
  // The links printed below open each node's dashboard: it must exist (a fresh clone has no build yet).
  await ensureDashboardBuilt(ROOT, (line) => say(`devnet: ${line}`));
  // The node bundle is built once here, not by every node's launcher at the same moment.
  const buildProblem = ensureNodeBuilt();
  if (buildProblem !== null) say(`devnet: ${buildProblem}; each node falls back to the TypeScript sources`);
  const bootstrap = await prepare(root, 'bootstrap', 'bootstrap', regions[0]!);
  const workers = await Promise.all(
    Array.from({ length: count }, (_, index) =>
      prepare(root, `node-${index + 1}`, 'worker', regions[index % regions.length]!),
    ),
  );
  members.push(bootstrap, ...workers);
  const port = await freeLoopbackPort();
  const bootstrapAddress = `/ip4/127.0.0.1/tcp/${port}/p2p/${bootstrap.peerId}`;
  const model = engine === 'builtin' ? await devnetModel(root) : null;
  origin = model?.origin ?? null;
  const network = await initNetwork({
    outDir: join(root, 'network'),
    founders: 1,
    threshold: 1,
    bootstrap: [bootstrapAddress],
    networkId: `devnet-${Date.now().toString(36)}`,
    genesis:
      genesisTokens > 0 ? members.map((member) => ({ account: member.peerId, amount: genesisTokens })) : [],
    ...(price !== undefined ? { prices: { 'model-a': price } } : {}),
    ...(model ? { catalog: model.catalog } : {}),
  });
  say(`devnet: network ${network.config.networkId} in ${root}`);
  const common = ['--network-config', network.configPath, '--heartbeat-ms', values['heartbeat-ms']];
  launch(bootstrap, [
    '--data-dir', bootstrap.dataDir, ...common, '--simulated-machine', bootstrap.name, '--listen', `/ip4/127.0.0.1/tcp/${port}`, '--relay', '--region', bootstrap.region,
  ]); // prettier-ignore
  for (const worker of workers) {
    launch(worker, [
      '--data-dir', worker.dataDir, ...common, '--simulated-machine', worker.name, '--listen', '/ip4/127.0.0.1/tcp/0', '--region', worker.region,
      '--serve-tier', 'model-a', '--capacity', values.capacity,
      // Built-in: one llama.cpp thread per worker (a devnet shares one machine), never a GPU.
      ...(engine === 'builtin'
        ? ['--engine', 'builtin', '--engine-threads', '1', '--engine-cpu-only']
        : ['--exo-path', SIMULATED_EXO, '--simulated-engine']),
    ]); // prettier-ignore
  }
  const deadline = Date.now() + Number(values['ready-timeout-ms']);
  for (;;) {
    const exited = members.find((member) => member.process?.exitCode !== null);
    if (exited) throw new Error(`${exited.name} exited early:\n${exited.output.slice(-3000)}`);
    const ready = await Promise.all(members.map((member) => isReady(member, workers)));
    if (ready.every(Boolean)) break;
    if (Date.now() > deadline) {
      const slow = members.filter((_, index) => !ready[index]).map((member) => member.name);
      throw new Error(
        `not ready in time: ${slow.join(', ')}\n${members.find((m) => slow.includes(m.name))?.output.slice(-3000)}`,
      );
    }
    await new Promise((done) => setTimeout(done, 200));
  }
  const nodes = [];
  for (const member of members) {
    const api = (await apiOf(member))!;
    const dashboardUrl = `${api.url}/#key=${api.key}`;
    nodes.push({
      peerId: member.peerId,
      region: member.region,
      apiUrl: api.url,
      apiKey: api.key,
      dashboardUrl,
      role: member.role,
      dataDir: member.dataDir,
    });
    say(
      `devnet: ${member.name.padEnd(10)} ${member.role.padEnd(9)} ${member.region.padEnd(14)} ${member.peerId}`,
    );
    // The link with its key: opening it needs no copy-pasting from api.key (the key is local, like the node).
    say(`devnet: ${''.padEnd(10)} dashboard ${dashboardUrl}`);
  }
  say(
    engine === 'builtin'
      ? `devnet: ready (workers run llama.cpp, the built-in engine, with the generated model ${testModelId('tiny')}); Ctrl-C stops every node`
      : 'devnet: ready (workers run a SIMULATED engine); Ctrl-C stops every node',
  );
  if (values.json) process.stdout.write(`${JSON.stringify({ nodes })}\n`);
} catch (error) {
  say(`devnet: ${error instanceof Error ? error.message : String(error)}`);
  await stop(1);
}
