import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelState } from '../../../../src-shared/ipc/models.ts';
import type { GgufModel, NetworkConfig, NetworkTier } from '../../../../src-shared/network-config/index.ts';
import { locationsFor } from '../../../../src-main/node/locations.ts';
import { ModelsService, type ModelsInit } from '../../../../src-main/node/models/models-service.ts';
import { ModelFileServer } from './model-file-server.ts';

const SIZE = 512 * 1024;
let dir: string;
let server: ModelFileServer;
let base: string;
let bytes: Uint8Array;
let services: ModelsService[];

function ggufAt(path: string, content: Uint8Array, id = 'tiny-test'): GgufModel {
  return {
    format: 'gguf',
    id,
    quantization: 'F32',
    contextLength: 256,
    memoryBytes: content.length * 2,
    files: [
      {
        name: 'tiny.gguf',
        urls: [`${base}${path}`],
        sizeBytes: content.length,
        sha256: createHash('sha256').update(content).digest('hex'),
      },
    ],
  };
}

function tier(id: string, builtin?: GgufModel): NetworkTier {
  return {
    id,
    label: id,
    exampleModels: [],
    minCpuCores: 1,
    minRamGb: 1,
    minGpuMemoryGb: null,
    recommendedGpuMemoryGb: null,
    minFreeDiskGb: 1,
    engineModels: { exo: 'x', ...(builtin ? { builtin } : {}) },
    price: 1,
  };
}

function service(tiers: NetworkTier[], init: ModelsInit = {}): ModelsService {
  const config = { tiers } as unknown as NetworkConfig;
  const models = new ModelsService(
    { locations: locationsFor(dir), config: () => config },
    { retryDelayMs: () => 0, freeSpace: () => Promise.resolve(100e9), progressIntervalMs: 0, ...init },
  );
  services.push(models);
  return models;
}

function statesOf(models: ModelsService, tierId: string): ModelState[] {
  const seen: ModelState[] = [];
  models.addEventListener('model:state', (event) => {
    if (event.detail.tier === tierId) seen.push(event.detail.state);
  });
  return seen;
}

function until(models: ModelsService, tierId: string, status: ModelState['status']): Promise<ModelState> {
  return new Promise((resolve) => {
    const check = () => {
      const state = models.state(tierId);
      if (state.status !== status) return;
      models.removeEventListener('model:state', check);
      resolve(state);
    };
    models.addEventListener('model:state', check);
    check();
  });
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-models-svc-'));
  bytes = randomBytes(SIZE);
  server = new ModelFileServer();
  base = await server.start();
  services = [];
});
afterEach(async () => {
  for (const models of services) await models.stop();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('ModelsService', () => {
  it('downloads the models of wanted tiers and hands out the verified file only once it is ready', async () => {
    server.serve('/tiny.gguf', bytes);
    const model = ggufAt('/tiny.gguf', bytes);
    const models = service([tier('model-a', model), tier('model-c')]);
    await models.start();
    expect(models.states()).toEqual({
      'model-a': { status: 'missing', modelId: 'tiny-test', totalBytes: SIZE },
      'model-c': { status: 'none' },
    });
    expect(models.fileFor('model-a')).toBeNull();
    const seen = statesOf(models, 'model-a');
    models.want(['model-a', 'model-c']);
    await until(models, 'model-a', 'ready');
    expect(seen.map((s) => s.status)).toEqual(
      expect.arrayContaining(['queued', 'downloading', 'verifying', 'ready']),
    );
    const downloading = seen.find((s) => s.status === 'downloading' && s.receivedBytes > 0)!;
    expect(downloading).toMatchObject({ totalBytes: SIZE, modelId: 'tiny-test' });
    const file = models.fileFor('model-a')!;
    expect(file).toMatchObject({ modelId: 'tiny-test', contextLength: 256, sha256: model.files[0]!.sha256 });
    expect(await readFile(file.path)).toEqual(Buffer.from(bytes));

    // A new service over the same data folder finds it ready without a request.
    const requests = server.requests.length;
    const again = service([tier('model-a', model)]);
    await again.start();
    expect(again.fileFor('model-a')?.path).toBe(file.path);
    expect(server.requests.length).toBe(requests);
  });

  it('pauses a download with contributing and resumes it from where it stopped', async () => {
    server.serve('/tiny.gguf', bytes);
    const models = service([tier('model-a', ggufAt('/tiny.gguf', bytes))]);
    await models.start();
    let pausedOnce = false;
    models.addEventListener('model:state', (event) => {
      const state = event.detail.state;
      if (!pausedOnce && state.status === 'downloading' && state.receivedBytes > 64 * 1024) {
        pausedOnce = true;
        models.setPaused(true);
      }
    });
    models.want(['model-a']);
    const paused = await until(models, 'model-a', 'paused');
    expect(paused.status === 'paused' && paused.receivedBytes).toBeGreaterThan(64 * 1024);
    const requests = server.requests.length;
    models.setPaused(false);
    await until(models, 'model-a', 'ready');
    expect(server.requests.slice(requests).map((r) => r.range)).toEqual([
      expect.stringMatching(/^bytes=[1-9]/),
    ]);
  });

  it('reports a failure with its reason, and the engine never gets the file', async () => {
    server.serve('/tiny.gguf', bytes, { corrupt: true });
    const models = service([tier('model-a', ggufAt('/tiny.gguf', bytes))]);
    await models.start();
    models.want(['model-a']);
    const failed = await until(models, 'model-a', 'failed');
    expect(failed).toMatchObject({ reason: 'hash-mismatch', modelId: 'tiny-test' });
    expect(models.fileFor('model-a')).toBeNull();
    await expect(models.pull('model-a')).rejects.toThrow(/failed verification/);
  });

  it('says "no space" before downloading anything on a full disk', async () => {
    server.serve('/tiny.gguf', bytes);
    const models = service([tier('model-a', ggufAt('/tiny.gguf', bytes))], {
      freeSpace: () => Promise.resolve(1000),
    });
    await models.start();
    models.want(['model-a']);
    const failed = await until(models, 'model-a', 'failed');
    expect(failed).toMatchObject({ reason: 'no-space' });
    expect(server.requests).toEqual([]);
  });

  it('downloads a model two tiers share once, and removes it for both', async () => {
    server.serve('/tiny.gguf', bytes);
    const model = ggufAt('/tiny.gguf', bytes);
    const models = service([tier('model-a', model), tier('model-b', model)]);
    await models.start();
    await models.pull('model-a');
    expect(models.isReady('model-b')).toBe(true);
    expect(server.requests).toHaveLength(1);
    await models.remove('model-b');
    expect(models.state('model-a')).toMatchObject({ status: 'missing' });
    expect(models.fileFor('model-a')).toBeNull();
    expect(await models.cache.list()).toEqual([]);
  });
});
