import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair, privateKeyToProtobuf } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { NodeStatusReport } from '../../../../src-main/node/node.ts';
import { runCliProcess } from '../run-cli-process.ts';
import { NodeProcess } from './node-process.ts';
import { freeLoopbackPort } from '../../../../src-main/node/net/free-loopback-port.ts';

let root: string;
let configPath: string;
let bootDir: string;
let bootPort: number;
let bootPeerId: string;
const processes: NodeProcess[] = [];

function startNode(name: string, extra: readonly string[]): NodeProcess {
  const node = new NodeProcess([
    '--data-dir',
    join(root, name),
    '--network-config',
    configPath,
    '--heartbeat-ms',
    '300',
    ...extra,
  ]);
  processes.push(node);
  return node;
}

async function status(name: string): Promise<NodeStatusReport> {
  const result = await runCliProcess(['status', '--data-dir', join(root, name), '--json']);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as NodeStatusReport;
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'og-start-'));
  // The bootstrap node's key exists before the network config that names it.
  const key = await generateKeyPair('Ed25519');
  bootPeerId = peerIdFromPrivateKey(key).toString();
  bootDir = join(root, 'boot');
  await mkdir(bootDir, { recursive: true, mode: 0o700 });
  await writeFile(join(bootDir, 'identity.key'), privateKeyToProtobuf(key), { mode: 0o600 });
  bootPort = await freeLoopbackPort();
  const init = await runCliProcess([
    'network',
    'init',
    '--out',
    join(root, 'net'),
    '--founders',
    '3',
    '--threshold',
    '2',
    '--bootstrap',
    `/ip4/127.0.0.1/tcp/${bootPort}/p2p/${bootPeerId}`,
    '--network-id',
    'og-cli-test',
  ]);
  expect(init.stderr).toBe('');
  expect(init.code).toBe(0);
  expect(init.stdout).toContain('Created network og-cli-test');
  configPath = join(root, 'net', 'network-config.json');
});

afterEach(() => {
  for (const node of processes.splice(0)) node.kill();
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('opengateway-node start / status / network init', () => {
  it('runs a small network: nodes find each other, status shows members, SIGINT stops cleanly, a restart keeps its peer id', async () => {
    const boot = startNode('boot', [
      '--listen',
      `/ip4/127.0.0.1/tcp/${bootPort}`,
      '--relay',
      '--region',
      'asia',
    ]);
    await boot.waitForOutput(/ready:/);
    const a = startNode('a', [
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--region',
      'asia',
      '--serve-tier',
      'model-a',
      // Membership only: no engine is installed (an absent EXO), so no model must be fetched first.
      '--engine',
      'exo',
    ]);
    const b = startNode('b', [
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--region',
      'asia',
      '--serve-tier',
      'model-a',
      // Membership only: no engine is installed (an absent EXO), so no model must be fetched first.
      '--engine',
      'exo',
    ]);
    const aId = (await a.waitForOutput(/identity: peer id (\S+)/))[1]!;
    const bId = (await b.waitForOutput(/identity: peer id (\S+)/))[1]!;
    await a.waitForOutput(new RegExp(`asia/model-a ${bId} new → up`));
    await b.waitForOutput(new RegExp(`asia/model-a ${aId} new → up`));

    const report = await status('a');
    expect(report.peerId).toBe(aId);
    expect(report.networkId).toBe('og-cli-test');
    expect(report.state.status).toBe('ready');
    expect(report.region).toMatchObject({ region: 'asia', source: 'override' });
    expect(report.connections).toBeGreaterThan(0);
    expect(report.listenAddresses.some((addr) => addr.startsWith('/ip4/127.0.0.1/tcp/'))).toBe(true);
    const clusterA = report.clusters.find((cluster) => cluster.key === 'asia/model-a');
    expect(clusterA?.serving).toBe(true);
    expect(clusterA?.members.map((m) => [m.peerId, m.status, m.self])).toEqual(
      expect.arrayContaining([
        [aId, 'up', true],
        [bId, 'up', false],
      ]),
    );
    expect(report.clusters.map((cluster) => cluster.key).sort()).toEqual([
      'asia/model-a',
      'asia/model-b',
      'asia/model-c',
      'asia/model-d',
    ]);
    const text = await runCliProcess(['status', '--data-dir', join(root, 'a')]);
    expect(text.stdout).toContain(`up     ${bId}`);

    // SIGINT: leave announced, connections closed, exit 0, api.json removed.
    expect(await b.interrupt()).toBe(0);
    expect(b.stdout).toContain('stopped');
    await a.waitForOutput(new RegExp(`asia/model-a ${bId} up → down \\(left\\)`));
    const gone = await runCliProcess(['status', '--data-dir', join(root, 'b')]);
    expect(gone.code).toBe(2);
    expect(gone.stderr).toMatch(/no running node/);

    // A crash is noticed too.
    a.kill();
    await boot.waitForOutput(new RegExp(`asia/model-a ${aId} up → down \\((disconnected|timeout)\\)`));

    const again = startNode('b', [
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--region',
      'asia',
      '--serve-tier',
      'model-a',
      // Membership only: no engine is installed (an absent EXO), so no model must be fetched first.
      '--engine',
      'exo',
    ]);
    expect((await again.waitForOutput(/identity: peer id (\S+)/))[1]).toBe(bId);
    // "new" when the down record was already forgotten (20 intervals), "down" otherwise.
    await boot.waitForOutput(
      new RegExp(`asia/model-a ${bId} (down|new) → up[^]*asia/model-a ${bId} (down|new) → up`),
    );
    expect(await again.interrupt()).toBe(0);
    expect(await boot.interrupt()).toBe(0);
    // Four node processes on a shared two-core machine: a generous bound, not a measurement.
  }, 150_000);

  it('refuses a tampered network config with one clear line', async () => {
    const doc = JSON.parse(await readFile(configPath, 'utf8')) as { config: { threshold: number } };
    doc.config.threshold = 1;
    const forged = join(root, 'forged.json');
    await writeFile(forged, JSON.stringify(doc));
    const result = await runCliProcess([
      'start',
      '--data-dir',
      join(root, 'forged'),
      '--network-config',
      forged,
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toMatch(/not properly signed: 0 valid founder signatures, 1 required/);
  });

  it('refuses an unknown region', async () => {
    const result = await runCliProcess(['start', '--data-dir', join(root, 'x'), '--region', 'atlantis']);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/unknown region "atlantis"/);
  });

  it('refuses a listen port that is already in use', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const result = await runCliProcess([
        'start',
        '--data-dir',
        join(root, 'busy'),
        '--network-config',
        configPath,
        '--listen',
        `/ip4/127.0.0.1/tcp/${port}`,
      ]);
      expect(result.code).toBe(2);
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).toContain(
        `cannot listen on /ip4/127.0.0.1/tcp/${port}: the port is already in use`,
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('network init refuses to overwrite an existing network', async () => {
    const result = await runCliProcess(['network', 'init', '--out', join(root, 'net')]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/already exists/);
  });
});
