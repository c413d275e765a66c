import { afterEach, describe, expect, it } from 'vitest';
import type { EngineConfig } from '../../../../src-main/node/engine/create-engine.ts';
import { EngineRegistry } from '../../../../src-main/node/engine/engine-registry.ts';
import type { EngineState } from '../../../../src-main/node/engine/engine.ts';
import { exoClusterSettings } from '../../../../src-main/node/engine/exo/exo-cluster-settings.ts';
import { SMALL_MODEL, startDouble, waitForStatus, type RunningDouble } from './engine-test-kit.ts';

let double: RunningDouble | null = null;
afterEach(async () => {
  await double?.stop();
  double = null;
});

describe('EngineRegistry', () => {
  it('keeps one engine per cluster, forwards its events, and replaces it when its config changes', async () => {
    double = await startDouble(['--double-preplace', SMALL_MODEL, '--double-load-step-ms', '5']);
    const registry = new EngineRegistry();
    const seen: { clusterId: string; state: EngineState }[] = [];
    registry.addEventListener('engine:state', (event) => seen.push(event.detail));
    const config: EngineConfig = { kind: 'openai', baseUrl: double.url, pollIntervalMs: 50 };
    const engine = await registry.ensure('asia/model-a', config);
    expect(await registry.ensure('asia/model-a', { ...config })).toBe(engine);
    await waitForStatus(engine, 'ready');
    expect(registry.states()['asia/model-a']).toMatchObject({ status: 'ready' });
    const replaced = await registry.ensure('asia/model-a', { ...config, model: SMALL_MODEL });
    expect(replaced).not.toBe(engine);
    expect(engine.state.status).toBe('stopped');
    await registry.stop();
    expect(registry.get('asia/model-a')).toBeUndefined();
    expect(
      seen.filter((event) => event.clusterId === 'asia/model-a').map((event) => event.state.status),
    ).toEqual(expect.arrayContaining(['starting', 'ready', 'stopped']));
  });
});

describe('exoClusterSettings', () => {
  it('derives a home, namespace and ports per cluster that match on every machine', () => {
    const a = exoClusterSettings({
      clusterId: 'asia/model-a',
      slot: 0,
      enginesDir: '/d/engines',
      networkId: 'OG Main',
    });
    const c = exoClusterSettings({
      clusterId: 'asia/model-c',
      slot: 2,
      enginesDir: '/d/engines',
      networkId: 'OG Main',
    });
    expect(a).toEqual({
      exoHome: '/d/engines/exo-asia-model-a',
      namespace: 'og-og-main-asia-model-a',
      apiPort: 52_500,
      zenohPort: 52_501,
      discoveryPort: 52_502,
      libp2pPort: 52_503,
    });
    expect(c.apiPort).toBe(52_520);
    expect(c.exoHome).not.toBe(a.exoHome);
  });
});
