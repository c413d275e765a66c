import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GgufModel, NetworkConfig, NetworkTier } from '../../../../src-shared/network-config/index.ts';
import { locationsFor } from '../../../../src-main/node/locations.ts';
import { ModelsService } from '../../../../src-main/node/models/models-service.ts';
import { ModelFileServer } from './model-file-server.ts';

const DAY = 24 * 60 * 60_000;
let dir: string;
let server: ModelFileServer;
let base: string;
let clock: number;
const logs: string[] = [];
const services: ModelsService[] = [];

function model(path: string, content: Uint8Array, id: string): GgufModel {
  server.serve(path, content);
  return {
    format: 'gguf',
    id,
    quantization: 'F32',
    contextLength: 256,
    memoryBytes: content.length * 2,
    files: [
      {
        name: `${id}.gguf`,
        urls: [`${base}${path}`],
        sizeBytes: content.length,
        sha256: createHash('sha256').update(content).digest('hex'),
      },
    ],
  };
}

function tier(id: string, builtin: GgufModel): NetworkTier {
  return {
    id,
    label: id,
    exampleModels: [],
    minCpuCores: 1,
    minRamGb: 1,
    minGpuMemoryGb: null,
    recommendedGpuMemoryGb: null,
    minFreeDiskGb: 1,
    engineModels: { exo: 'x', builtin },
    price: 1,
  };
}

function service(config: { tiers: NetworkTier[] }): ModelsService {
  const models = new ModelsService(
    { locations: locationsFor(dir), config: () => config as unknown as NetworkConfig },
    {
      freeSpace: () => Promise.resolve(100e9),
      progressIntervalMs: 0,
      cacheGraceMs: 7 * DAY,
      now: () => clock,
      log: (line) => logs.push(line),
    },
  );
  services.push(models);
  return models;
}

async function ready(models: ModelsService, tierId: string): Promise<void> {
  await models.pull(tierId);
}

const cacheFolders = async () => (await readdir(join(dir, 'models'))).filter((name) => name !== 'index.json');

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-cache-sweep-'));
  server = new ModelFileServer();
  base = await server.start();
  clock = Date.UTC(2026, 11, 1);
  logs.length = 0;
});
afterEach(async () => {
  for (const models of services.splice(0)) await models.stop();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('the model cache sweep', () => {
  it('keeps a model no tier uses for the grace period, then deletes it; one back in use is kept', async () => {
    const old = model('/old.gguf', randomBytes(64 * 1024), 'old-model');
    const next = model('/next.gguf', randomBytes(64 * 1024), 'next-model');
    const other = model('/other.gguf', randomBytes(32 * 1024), 'other-model');
    const config = { tiers: [tier('model-a', old), tier('model-b', other)] };
    const models = service(config);
    await models.start();
    await ready(models, 'model-a');
    await ready(models, 'model-b');
    models.want(['model-a', 'model-b']);
    await models.sweep();
    expect(await cacheFolders()).toHaveLength(2);

    // The catalog moves model-a to a new model, and model-b leaves the plan (e.g. another engine serves it).
    config.tiers = [tier('model-a', next), tier('model-b', other)];
    await models.refresh();
    await ready(models, 'model-a');
    models.want(['model-a']);
    await models.sweep();
    clock += 6 * DAY;
    await models.sweep();
    expect(await cacheFolders()).toHaveLength(3); // within the grace period nothing goes

    models.want(['model-a', 'model-b']); // model-b back in use: its clock starts again when it leaves
    await models.sweep();
    clock += 1 * DAY + 1;
    await models.sweep();
    const left = await cacheFolders();
    expect(left).toHaveLength(2);
    expect(left.some((name) => name.startsWith('old-model'))).toBe(false);
    expect(models.isReady('model-a') && models.isReady('model-b')).toBe(true);
    expect(logs.some((line) => line.includes('deleted old-model (65536 bytes)'))).toBe(true);

    models.want(['model-a']);
    await models.sweep();
    clock += 7 * DAY;
    await models.sweep();
    // The engine is never handed a file the sweep deleted.
    expect(models.isReady('model-b')).toBe(false);
    expect(models.state('model-b')).toMatchObject({ status: 'missing', modelId: 'other-model' });
    expect(await cacheFolders()).toHaveLength(1);
  });

  it('deletes an abandoned unfinished download only once nothing in it changed for the grace period', async () => {
    const kept = model('/kept.gguf', randomBytes(16 * 1024), 'kept-model');
    const models = service({ tiers: [tier('model-a', kept)] });
    await models.start();
    const abandoned = join(dir, 'models', 'gone-model-0123456789ab');
    await mkdir(abandoned, { recursive: true });
    await writeFile(join(abandoned, 'gone.gguf.partial'), randomBytes(1000));
    const eightDaysAgo = new Date(clock - 8 * DAY);
    await utimes(join(abandoned, 'gone.gguf.partial'), eightDaysAgo, eightDaysAgo);
    await utimes(abandoned, eightDaysAgo, eightDaysAgo);
    const fresh = join(dir, 'models', 'fresh-model-0123456789ab');
    await mkdir(fresh);
    await writeFile(join(fresh, 'fresh.gguf.partial'), randomBytes(1000));
    await utimes(join(fresh, 'fresh.gguf.partial'), new Date(clock), new Date(clock));
    await utimes(fresh, new Date(clock), new Date(clock));

    await models.sweep(); // the node has not said what it wants yet: nothing is touched
    expect(await cacheFolders()).toHaveLength(2);
    models.want(['model-a']);
    await models.sweep();
    const left = await cacheFolders();
    expect(left).toContain('fresh-model-0123456789ab');
    expect(left).not.toContain('gone-model-0123456789ab');
  });
});
