// The node with the built-in engine and the models service together: a real node process-in-test, its model
// fetched from a real HTTP server on 127.0.0.1 through the real download path, served by real llama.cpp.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpenGatewayNode } from '../../../../src-main/node/node.ts';
import { testModelId } from '../../../model-gen/write-test-model.ts';
import { tinyModelNetwork, until } from '../node-test-kit.ts';
import { ModelFileServer } from './model-file-server.ts';

let root: string;
let server: ModelFileServer;
let node: OpenGatewayNode | null = null;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'og-node-models-'));
  server = new ModelFileServer();
});
afterEach(async () => {
  await node?.stop();
  node = null;
  await server.stop();
  await rm(root, { recursive: true, force: true });
});

describe('a node on the built-in engine', { timeout: 90_000 }, () => {
  it('joins its cluster as serving only once its model is downloaded and verified', async () => {
    // The mirror is down at first: the node must not announce a tier it cannot answer.
    const { configPath, bytes } = await tinyModelNetwork(root, server, { mirror: { status: 503 } });
    const lines: string[] = [];
    node = new OpenGatewayNode({
      dataDir: join(root, 'data'),
      networkConfigPath: configPath,
      listen: ['/ip4/127.0.0.1/tcp/0'],
      region: 'europe',
      serveTiers: ['model-a'],
      heartbeatIntervalMs: 300,
      bootstrapWaitMs: 100,
      log: (line) => lines.push(line),
      routing: { engine: { kind: 'builtin', threads: 1, gpu: false } },
      models: { retries: 0, retryDelayMs: () => 0, retryFailedAfterMs: 300 },
    });
    await node.start();
    const cluster = () => node!.report().clusters.find((c) => c.key === 'europe/model-a');
    await until(() => node!.report().models['model-a']?.status === 'failed', 'the first download to fail');
    expect(node.report().models['model-a']).toMatchObject({ status: 'failed', reason: 'unreachable' });
    expect(cluster()?.serving ?? false).toBe(false);
    expect(lines).toContain('plan: model-a joins once its model is ready');

    server.serve('/tiny.gguf', bytes);
    await until(() => cluster()?.serving === true, 'the node to serve model-a');
    expect(node.report().models['model-a']).toMatchObject({ status: 'ready', modelId: testModelId('tiny') });
    await until(() => node!.report().engines['europe/model-a']?.status === 'ready', 'llama.cpp to load it');
    const engine = node.report().engines['europe/model-a'];
    expect(engine?.status === 'ready' && engine.models).toEqual([testModelId('tiny')]);
  });
});
