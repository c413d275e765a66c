import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { NetworkConfig, NetworkTier } from '../../../../src-shared/network-config/index.ts';
import { DEFAULT_TIERS, qualify } from '../../../../src-shared/tiers/index.ts';
import { locationsFor } from '../../../../src-main/node/locations.ts';
import { ModelsService } from '../../../../src-main/node/models/models-service.ts';
import { planServing } from '../../../../src-main/node/models/serving-plan.ts';
import { BUILD_VM, WORKSTATION_4090 } from '../../../src-shared/tiers/profile-fixtures.ts';
import { ModelFileServer } from './model-file-server.ts';

let dir: string;
let server: ModelFileServer;
let models: ModelsService;
let config: NetworkConfig;
const bytes = randomBytes(128 * 1024);

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-serving-'));
  server = new ModelFileServer();
  const base = await server.start();
  server.serve('/tiny.gguf', bytes);
  const tiers: NetworkTier[] = DEFAULT_TIERS.map((tier) => ({ ...tier, price: 1 }));
  tiers[0] = {
    ...tiers[0]!,
    engineModels: {
      exo: 'tiny',
      builtin: {
        format: 'gguf',
        id: 'tiny',
        quantization: 'F32',
        contextLength: 128,
        memoryBytes: bytes.length * 4,
        files: [
          {
            name: 'tiny.gguf',
            urls: [`${base}/tiny.gguf`],
            sizeBytes: bytes.length,
            sha256: createHash('sha256').update(bytes).digest('hex'),
          },
        ],
      },
    },
  };
  config = { tiers } as unknown as NetworkConfig;
  models = new ModelsService(
    { locations: locationsFor(dir), config: () => config },
    { freeSpace: () => Promise.resolve(100e9) },
  );
  await models.start();
});
afterEach(async () => {
  await models.stop();
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('planServing', () => {
  it('on the built-in engine, a planned tier is served only once its model is verified', async () => {
    const input = {
      config,
      profile: BUILD_VM,
      qualified: qualify(BUILD_VM, config.tiers),
      forced: ['model-a'],
      engineFor: () => 'builtin' as const,
      models,
    };
    const before = await planServing(input);
    expect(before.planned).toEqual(['model-a']);
    expect(before.serve).toEqual([]);
    expect(before.fetch).toEqual(['model-a']);
    await models.pull('model-a');
    expect((await planServing(input)).serve).toEqual(['model-a']);
  });

  it('serves what fits together; EXO holds its own models, so nothing waits for a download', async () => {
    const plan = await planServing({
      config,
      profile: WORKSTATION_4090,
      qualified: qualify(WORKSTATION_4090, config.tiers),
      forced: [],
      engineFor: () => 'exo',
      models,
    });
    expect(plan.serve).toEqual(['model-a', 'model-b', 'model-c']);
    expect(plan.planned).toEqual(plan.serve);
    expect(plan.fetch).toEqual([]);
    expect(plan.skipped).toEqual([]);
  });
});
