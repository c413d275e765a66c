// Routing with the built-in engine: real libp2p nodes on loopback, real llama.cpp in a child process serving
// the generated tiny model. And the routing service's engine config: a built-in tier runs only once its model
// file is ready.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatChunk } from '../../../../src-shared/protocol/chat.ts';
import type { NetworkConfig } from '../../../../src-shared/network-config/index.ts';
import { BuiltinEngine } from '../../../../src-main/node/engine/builtin/builtin-engine.ts';
import {
  FixedModelSource,
  type ModelFile,
  type ModelSource,
} from '../../../../src-main/node/engine/builtin/model-source.ts';
import { waitForEngineState, type EngineState } from '../../../../src-main/node/engine/engine.ts';
import type { Locations } from '../../../../src-main/node/locations.ts';
import type { MembershipService } from '../../../../src-main/node/membership/membership-service.ts';
import { builtinThreads } from '../../../../src-main/node/engine/builtin/builtin-threads.ts';
import { RoutingService } from '../../../../src-main/node/routing/routing-service.ts';
import { generateTestModelFile } from '../../../model-gen/test-model-file.ts';
import { startLoopbackP2p } from '../p2p/loopback-network.ts';
import { connect, directoryOf, requesterFor, startNode, stopNode, type TestNode } from './routing-kit.ts';

let dir = '';
let model: ModelFile;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-builtin-routing-'));
  model = await generateTestModelFile(dir, 'tiny');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const isReady = (state: EngineState): state is Extract<EngineState, { status: 'ready' }> =>
  state.status === 'ready';

describe('a routed chat answered by llama.cpp', () => {
  let requester: TestNode;
  let worker: TestNode;
  let engine: BuiltinEngine;

  beforeAll(async () => {
    [requester, worker] = await Promise.all([startNode(), startNode()]);
    engine = new BuiltinEngine({ model, threads: 1, gpu: false });
    await engine.start();
    await waitForEngineState(engine, isReady, { signal: AbortSignal.timeout(20_000) });
    worker.engines.set('model-a', engine);
    await connect(requester, worker);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([requester, worker].filter(Boolean).map(stopNode));
  });

  it('streams real tokens from the worker’s built-in engine to the requester, with usage', async () => {
    const routes = requesterFor(requester, directoryOf('europe', { 'model-a': [worker] }));
    const servedBy: string[] = [];
    const chunks: ChatChunk[] = [];
    for await (const chunk of routes.chat(
      'model-a',
      { messages: [{ role: 'user', content: 'hello world' }], max_tokens: 40 },
      { onRouted: (peer) => servedBy.push(peer) },
    )) {
      chunks.push(chunk);
    }
    expect(servedBy).toEqual([worker.peerId]);
    const usage = chunks.at(-1);
    expect(usage?.type).toBe('usage');
    if (usage?.type !== 'usage') return;
    expect(usage.usage.completionTokens).toBe(40);
    expect(usage.usage.promptTokens).toBeGreaterThan(3);
    expect(usage.finishReason).toBe('length');
    const text = chunks.map((chunk) => (chunk.type === 'delta' ? (chunk.content ?? '') : '')).join('');
    expect(text.length).toBeGreaterThan(0);
  });
});

describe('the routing service with the built-in engine', () => {
  it('runs a built-in tier only once its model file is ready, with that file, and says which engine serves', async () => {
    const p2p = await startLoopbackP2p();
    const published: Record<string, { engine: string; modelsReady: readonly string[] }> = {};
    // Only what the routing service uses of membership: local state out, change events in.
    const membership = {
      plan: null,
      snapshot: () => [],
      setLocalState: (tier: string, state: { engine: string; modelsReady: readonly string[] }) => {
        published[tier] = state;
      },
      addEventListener: () => undefined,
    } as unknown as MembershipService;
    let ready: ModelSource = { fileFor: () => null };
    const source: ModelSource = { fileFor: (tier) => ready.fileFor(tier) };
    const routing = new RoutingService(
      {
        libp2p: p2p.libp2p,
        membership,
        locations: { enginesDir: join(dir, 'engines') } as Locations,
        config: () => ({ tiers: [] }) as unknown as NetworkConfig,
      },
      {
        engine: { kind: 'builtin', gpu: false, threads: 1 },
        tierEngines: { 'model-b': { kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' } },
        modelSource: source,
      },
    );
    await routing.start();
    try {
      await routing.serve('europe', ['model-a']);
      expect(routing.engineStates()).toEqual({});
      expect(published['model-a']).toMatchObject({ engine: 'stopped', modelsReady: [] });

      ready = new FixedModelSource(model, ['model-a']);
      await routing.serve('europe', ['model-a']);
      const engine = routing.engines.get('europe/model-a');
      expect(engine?.kind).toBe('builtin');
      await waitForEngineState(engine!, isReady, { signal: AbortSignal.timeout(20_000) });
      expect(published['model-a']).toMatchObject({ engine: 'ready', modelsReady: [model.modelId] });
      expect(routing.tierEngineKinds()).toEqual({ 'model-a': 'builtin' });
      expect(routing.engineSettingsFor('model-b').kind).toBe('openai');

      // The file goes away (removed from the cache): the tier's engine stops.
      ready = { fileFor: () => null };
      await routing.serve('europe', ['model-a']);
      expect(routing.engines.get('europe/model-a')).toBeUndefined();
    } finally {
      await routing.stop();
      await p2p.stop();
    }
  });

  it('resolves `auto` at start: the built-in engine on a machine without EXO', async () => {
    const p2p = await startLoopbackP2p();
    const membership = { addEventListener: () => undefined } as unknown as MembershipService;
    const routing = new RoutingService(
      {
        libp2p: p2p.libp2p,
        membership,
        locations: { enginesDir: join(dir, 'engines') } as Locations,
        config: () => ({ tiers: [] }) as unknown as NetworkConfig,
      },
      { engine: { kind: 'auto', gpuShare: 0.5 } },
    );
    const path = process.env.PATH;
    process.env.PATH = join(dir, 'no-exo-here');
    try {
      await routing.start();
    } finally {
      process.env.PATH = path;
    }
    try {
      expect(routing.engineKind).toEqual({ kind: 'builtin', simulated: false });
      expect(routing.engineSettingsFor('model-a')).toMatchObject({ kind: 'builtin', gpuShare: 0.5 });
    } finally {
      await routing.stop();
      await p2p.stop();
    }
  });

  it('gives the built-in engines together at most the cores minus one', () => {
    expect(builtinThreads(2, 1)).toBe(1);
    expect(builtinThreads(16, 1)).toBe(15);
    expect(builtinThreads(16, 2)).toBe(7);
    expect(builtinThreads(4, 4)).toBe(1);
    expect(builtinThreads(1, 1)).toBe(1);
  });
});
