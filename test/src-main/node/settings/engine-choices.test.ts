// Choosing a tier's engine in Settings on a running node: the choice is checked, stored, applied at once (the
// tier's engine restarts with real llama.cpp on the generated model, fetched through the real download path),
// shown with its reason in the status report, and still in force after a restart.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpenGatewayNode, type NodeOptions } from '../../../../src-main/node/node.ts';
import {
  EngineServerMissingError,
  ExoNotInstalledError,
  InvalidEngineServerError,
  UnknownTierError,
} from '../../../../src-main/node/settings/errors.ts';
import type { ChatChunk } from '../../../../src-shared/protocol/chat.ts';
import { testModelId } from '../../../model-gen/write-test-model.ts';
import { tinyModelNetwork, until } from '../node-test-kit.ts';
import { ModelFileServer } from '../models/model-file-server.ts';

let root: string;
let server: ModelFileServer;
let node: OpenGatewayNode | null = null;
let path: string | undefined;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'og-engine-choices-'));
  server = new ModelFileServer();
  // No EXO on this machine, whatever the host has.
  path = process.env.PATH;
  process.env.PATH = '/usr/bin:/bin';
});
afterEach(async () => {
  process.env.PATH = path;
  await node?.stop();
  node = null;
  await server.stop();
  await rm(root, { recursive: true, force: true });
});

async function networkWithTinyModel(): Promise<string> {
  return (await tinyModelNetwork(root, server)).configPath;
}

function nodeOptions(configPath: string): NodeOptions {
  return {
    dataDir: join(root, 'data'),
    networkConfigPath: configPath,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    region: 'europe',
    serveTiers: ['model-a'],
    heartbeatIntervalMs: 300,
    bootstrapWaitMs: 100,
    routing: {
      // The node's own engine: a server nobody runs (nothing listens on port 9).
      engine: { kind: 'openai', baseUrl: 'http://127.0.0.1:9/v1' },
      // How the built-in engine runs when Settings picks it: one thread, CPU only (tests).
      engineTemplates: { builtin: { kind: 'builtin', threads: 1, gpu: false } },
    },
    models: { retries: 0, retryDelayMs: () => 0 },
  };
}

async function tokensFrom(running: OpenGatewayNode): Promise<{ text: string; completion: number }> {
  const engine = running.servicesForTests().routing?.engines.get('europe/model-a');
  if (!engine) throw new Error('no engine serves europe/model-a');
  const chunks: ChatChunk[] = [];
  for await (const chunk of engine.chat({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 12 }))
    chunks.push(chunk);
  const usage = chunks.at(-1);
  return {
    text: chunks.map((chunk) => (chunk.type === 'delta' ? (chunk.content ?? '') : '')).join(''),
    completion: usage?.type === 'usage' ? usage.usage.completionTokens : -1,
  };
}

describe('choosing a tier’s engine in Settings', { timeout: 90_000 }, () => {
  it('restarts the tier on the chosen engine at once, says why, and keeps the choice after a restart', async () => {
    const configPath = await networkWithTinyModel();
    node = new OpenGatewayNode(nodeOptions(configPath));
    await node.start();
    const view = () => node!.report().tierEngines['model-a'];
    expect(view()).toMatchObject({ kind: 'openai', choice: 'auto', lockedByCommandLine: false });
    // Served by a server, the built-in model is not fetched.
    expect(node.report().models['model-a']?.status).toBe('missing');

    const settings = await node.setTierEngine('model-a', 'builtin');
    expect(settings.tierEngines).toEqual({ 'model-a': 'builtin' });
    expect(view()).toMatchObject({
      kind: 'builtin',
      choice: 'builtin',
      reason: 'chosen-in-settings',
      text: 'Built-in llama.cpp: chosen in Settings',
    });
    await until(
      () => node!.report().engines['europe/model-a']?.status === 'ready',
      'llama.cpp to serve the tier chosen in Settings',
    );
    expect(node.report().engines['europe/model-a']).toEqual({
      status: 'ready',
      models: [testModelId('tiny')],
    });
    expect(node.report().models['model-a']?.status).toBe('ready');
    const answer = await tokensFrom(node);
    expect(answer.completion).toBe(12);
    expect(answer.text.length).toBeGreaterThan(0);
    // Stored for the next start (0600 JSON in the data folder).
    const stored = JSON.parse(await readFile(node.locations.settings, 'utf8')) as Record<string, unknown>;
    expect(stored.tierEngines).toEqual({ 'model-a': 'builtin' });

    // The same choice survives a restart: the tier serves with llama.cpp from the start.
    await node.stop();
    node = new OpenGatewayNode(nodeOptions(configPath));
    await node.start();
    expect(view()).toMatchObject({ kind: 'builtin', reason: 'chosen-in-settings' });
    await until(
      () => node!.report().engines['europe/model-a']?.status === 'ready',
      'llama.cpp after a restart',
    );

    // Back to automatic: the node's own engine serves the tier again, and llama.cpp is stopped.
    await node.setTierEngine('model-a', 'auto');
    expect(view()).toMatchObject({ kind: 'openai', choice: 'auto', reason: 'chosen-on-command-line' });
    const engine = node.servicesForTests().routing?.engines.get('europe/model-a');
    expect(engine?.constructor.name).toBe('OpenAiEngine');
  });

  it('refuses what cannot serve, with a reason the contributor can act on, and changes nothing', async () => {
    const configPath = await networkWithTinyModel();
    const options = nodeOptions(configPath);
    // A node whose own engine is the built-in one: no server is known at all.
    node = new OpenGatewayNode({
      ...options,
      routing: { engine: { kind: 'builtin', threads: 1, gpu: false } },
    });
    await node.start();
    await expect(node.setTierEngine('model-a', 'exo')).rejects.toThrow(ExoNotInstalledError);
    await expect(node.setTierEngine('model-a', 'openai')).rejects.toThrow(EngineServerMissingError);
    await expect(node.setTierEngine('model-z', 'builtin')).rejects.toThrow(UnknownTierError);
    await expect(
      node.setEngineServer({ baseUrl: 'http://me:secret@127.0.0.1:9/v1', model: null }),
    ).rejects.toThrow(InvalidEngineServerError);
    expect((await node.settings()).tierEngines).toEqual({});

    // With a server given, the tier can run on it; clearing the server puts the tier back on auto.
    await node.setEngineServer({ baseUrl: 'http://127.0.0.1:9/v1', model: 'llama3.1:8b' });
    await node.setTierEngine('model-a', 'openai');
    expect(node.report().tierEngines['model-a']).toMatchObject({ kind: 'openai', choice: 'openai' });
    expect(node.report().engineOptions).toEqual({
      server: { baseUrl: 'http://127.0.0.1:9/v1', model: 'llama3.1:8b' },
      exoInstalled: false,
    });
    await node.setEngineServer(null);
    expect(node.report().tierEngines['model-a']).toMatchObject({ kind: 'builtin', choice: 'auto' });
    expect((await node.settings()).tierEngines).toEqual({});
  });
});
