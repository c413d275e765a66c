// The EXO app already running on the machine (its EXO's API on 52415; here the EXO double on a free port
// standing in for it): a node with the default engine serves its tier through that EXO instead of starting a
// second one, says so, and leaves the app's EXO running when it stops.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideEngine } from '../../../../../src-main/node/engine/engine-choice.ts';
import { isExoAppRunning } from '../../../../../src-main/node/engine/exo/exo-app.ts';
import type { ExoEngine } from '../../../../../src-main/node/engine/exo/exo-engine.ts';
import { initNetwork } from '../../../../../src-main/node/network-config/init-network.ts';
import { OpenGatewayNode } from '../../../../../src-main/node/node.ts';
import { freeLoopbackPort } from '../../../../../src-main/node/net/free-loopback-port.ts';
import { until } from '../../node-test-kit.ts';
import { collect, SMALL_MODEL, startDouble, type RunningDouble } from '../engine-test-kit.ts';

let root: string;
let path: string | undefined;
let double: RunningDouble | null = null;
let node: OpenGatewayNode | null = null;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'og-exo-app-'));
  // No `exo` executable anywhere this node looks, whatever the host has: only the running app counts.
  path = process.env.PATH;
  process.env.PATH = '/usr/bin:/bin';
});
afterEach(async () => {
  process.env.PATH = path;
  await node?.stop();
  node = null;
  await double?.stop();
  double = null;
  await rm(root, { recursive: true, force: true });
});

async function instancesIn(app: RunningDouble): Promise<number> {
  const state = (await (await fetch(`${app.url}/state`)).json()) as { instances?: Record<string, unknown> };
  return Object.keys(state.instances ?? {}).length;
}

describe('the EXO app running on this computer', { timeout: 90_000 }, () => {
  it('is what the default engine means, even with no exo executable to be found', async () => {
    const home = join(root, 'home');
    const absentPort = await freeLoopbackPort();
    expect(await isExoAppRunning({ port: absentPort })).toBe(false);
    expect(
      await decideEngine('auto', { openAiConfigured: false, exoAppPort: absentPort, homedir: home }),
    ).toEqual({ kind: 'builtin', reason: 'builtin-default' });

    double = await startDouble(['--double-token-rate', '0', '--double-load-step-ms', '5']);
    expect(await isExoAppRunning({ port: double.port })).toBe(true);
    expect(
      await decideEngine('auto', { openAiConfigured: false, exoAppPort: double.port, homedir: home }),
    ).toEqual({ kind: 'exo', reason: 'exo-app-running' });
    // A server the user points at is still their explicit choice.
    expect(
      await decideEngine('auto', { openAiConfigured: true, exoAppPort: double.port, homedir: home }),
    ).toEqual({ kind: 'openai', reason: 'server-configured' });
  });

  it('serves the tier through the app’s EXO, says so, and leaves that EXO running on stop', async () => {
    double = await startDouble(['--double-token-rate', '0', '--double-load-step-ms', '5']);
    const { configPath } = await initNetwork({
      outDir: join(root, 'net'),
      founders: 1,
      catalog: { tiers: { 'model-a': { engineModels: { exo: SMALL_MODEL } } } },
    });
    node = new OpenGatewayNode({
      dataDir: join(root, 'data'),
      networkConfigPath: configPath,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      region: 'europe',
      serveTiers: ['model-a'],
      heartbeatIntervalMs: 300,
      bootstrapWaitMs: 100,
      routing: {
        engine: { kind: 'auto' },
        exoAppPort: double.port,
        engineOverrides: { pollIntervalMs: 50, livenessIntervalMs: 200, instanceCheckIntervalMs: 200 },
      },
    });
    await node.start();
    expect(node.report().tierEngines['model-a']).toMatchObject({
      kind: 'exo',
      choice: 'auto',
      reason: 'exo-app-running',
      text: 'EXO: the EXO app running on this computer',
    });
    await until(() => node!.report().engines['europe/model-a']?.status === 'ready', 'the tier to be ready');
    const engine = node.servicesForTests().routing?.engines.get('europe/model-a') as ExoEngine | undefined;
    expect(engine?.attached).toBe(true);
    expect(engine?.pid).toBeNull();
    expect(engine?.apiUrl).toBe(double.url);
    const chunks = await collect(
      engine!.chat({ messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 8 }),
    );
    expect(chunks.at(-1)).toMatchObject({ type: 'usage', usage: { completionTokens: 8 } });
    expect(await instancesIn(double)).toBe(1);

    await node.stop();
    node = null;
    // The app's EXO is its owner's: still answering, with the instance the node placed removed.
    expect(await isExoAppRunning({ port: double.port })).toBe(true);
    expect(double.process.exitCode).toBeNull();
    expect(await instancesIn(double)).toBe(0);
  });
});
