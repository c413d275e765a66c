import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ResourceProfile } from '../../../../src-shared/tiers/index.ts';
import {
  readNodeSettings,
  routingInitWithCaps,
  writeNodeSettings,
} from '../../../../src-main/node/settings/node-settings.ts';

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-node-settings-'));
  path = join(dir, 'settings.json');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const GIB = 1024 ** 3;

function profileWithGpu(memory: ResourceProfile['gpus'][number]['memory'] | null): ResourceProfile {
  return {
    platform: 'linux',
    cpu: { model: 'test CPU', arch: 'x64', cores: 16, threads: 32, speedGhz: null },
    memory: { totalBytes: 64 * GIB, availableBytes: 48 * GIB },
    gpus: memory === null ? [] : [{ vendor: 'nvidia', model: 'RTX 4090', memory, usableBytes: 22 * GIB }],
    disk: { path: dir, freeBytes: 1000 * GIB, totalBytes: 2000 * GIB, mount: null },
  };
}

const V2 = {
  version: 2,
  maxConcurrentRequests: 2,
  gpuMemoryShare: 0.5,
  regionOverride: null,
  tierEngines: {},
  engineServer: null,
};

describe('node settings (the caps and region choice a headless node keeps)', () => {
  it('round-trips through an 0600 file, and no file means defaults', async () => {
    expect(await readNodeSettings(path)).toBeNull();
    const settings = {
      maxConcurrentRequests: 3,
      gpuMemoryShare: 0.6,
      regionOverride: 'asia' as const,
      tierEngines: { 'model-b': 'openai' as const },
      engineServer: { baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.1:8b' },
    };
    await writeNodeSettings(path, settings);
    expect(await readNodeSettings(path)).toEqual(settings);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('ignores a damaged or out-of-range file instead of failing the node', async () => {
    for (const text of [
      '{not json',
      JSON.stringify({ version: 1, maxConcurrentRequests: 99, gpuMemoryShare: 0.5, regionOverride: null }),
      JSON.stringify({ version: 1, maxConcurrentRequests: 2, gpuMemoryShare: 0.5, regionOverride: 'mars' }),
      JSON.stringify({ version: 7, maxConcurrentRequests: 2, gpuMemoryShare: 0.5, regionOverride: null }),
      // An engine that does not exist, a tier id with a slash, a server URL with a password in it.
      JSON.stringify({ ...V2, tierEngines: { 'model-a': 'ollama' } }),
      JSON.stringify({ ...V2, tierEngines: { 'asia/model-a': 'builtin' } }),
      JSON.stringify({ ...V2, engineServer: { baseUrl: 'http://me:secret@127.0.0.1:1/v1', model: null } }),
      JSON.stringify({ ...V2, engineServer: { baseUrl: 'file:///etc/passwd', model: null } }),
      JSON.stringify({ ...V2, engineServer: { baseUrl: 'http://127.0.0.1:1/v1', model: null, key: 'x' } }),
      // An upload cap below zero, fractional, or absurd.
      JSON.stringify({ ...V2, uploadBytesPerSecond: -1 }),
      JSON.stringify({ ...V2, uploadBytesPerSecond: 1.5 }),
      JSON.stringify({ ...V2, uploadBytesPerSecond: 1e12 }),
    ]) {
      await writeFile(path, text);
      expect(await readNodeSettings(path), text).toBeNull();
    }
  });

  it('keeps the seeding upload cap when one is set (absent: the default applies)', async () => {
    await writeNodeSettings(path, { ...V2, uploadBytesPerSecond: 2_000_000 });
    expect(await readNodeSettings(path)).toMatchObject({ uploadBytesPerSecond: 2_000_000 });
    await writeFile(path, JSON.stringify(V2));
    expect(await readNodeSettings(path)).not.toHaveProperty('uploadBytesPerSecond');
  });

  it('reads a version 1 file (before engine choices) with every tier on auto', async () => {
    await writeFile(
      path,
      JSON.stringify({ version: 1, maxConcurrentRequests: 5, gpuMemoryShare: 0.5, regionOverride: null }),
    );
    expect(await readNodeSettings(path)).toEqual({
      maxConcurrentRequests: 5,
      gpuMemoryShare: 0.5,
      regionOverride: null,
      tierEngines: {},
      engineServer: null,
    });
  });

  it('applies the stored caps where the command line set none', () => {
    const stored = {
      maxConcurrentRequests: 4,
      gpuMemoryShare: 0.5,
      regionOverride: null,
      tierEngines: {},
      engineServer: null,
    };
    const gpu = profileWithGpu({ kind: 'dedicated', totalBytes: 24 * GIB, source: 'nvidia-smi' });
    expect(routingInitWithCaps(undefined, stored, gpu)).toEqual({
      capacityPerTier: 4,
      engine: { kind: 'exo', memoryMb: 12 * 1024 },
    });
    expect(routingInitWithCaps({ capacityPerTier: 1 }, stored, profileWithGpu(null))).toEqual({
      capacityPerTier: 1,
      engine: { kind: 'exo' },
    });
    const server = { kind: 'openai' as const, baseUrl: 'http://127.0.0.1:8080' };
    expect(routingInitWithCaps({ engine: server }, stored, gpu).engine).toEqual(server);
    expect(routingInitWithCaps({ capacityPerTier: 7 }, null, gpu)).toEqual({ capacityPerTier: 7 });
  });
});
