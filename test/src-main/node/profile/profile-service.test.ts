import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { locationsFor } from '../../../../src-main/node/locations.ts';
import { ProfileService } from '../../../../src-main/node/profile/profile-service.ts';
import { readRawHardwareOffThread } from '../../../../src-main/node/profile/scan-off-thread.ts';
import { DEFAULT_TIERS } from '../../../../src-shared/tiers/index.ts';

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('ProfileService on this machine (real scan in a worker thread)', () => {
  it('profiles the machine and explains every tier', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'og-profile-'));
    dirs.push(dataDir);
    const service = new ProfileService({ locations: locationsFor(join(dataDir, 'not-created-yet')) });
    const updates: number[] = [];
    service.addEventListener('profile:updated', (event) => updates.push(event.detail.cpu.cores));
    await service.start();
    const { profile } = service;
    expect(profile.cpu.cores).toBeGreaterThan(0);
    expect(profile.memory.totalBytes).toBeGreaterThan(0);
    // The data dir does not exist yet: the free space of its nearest existing parent counts.
    expect(profile.disk.freeBytes).toBeGreaterThan(0);
    expect(updates).toEqual([profile.cpu.cores]);
    const tiers = service.qualify(DEFAULT_TIERS);
    expect(tiers.map((tier) => tier.tier)).toEqual(['model-a', 'model-b', 'model-c', 'model-d']);
    for (const tier of tiers) expect(tier.qualified || tier.reasons.length > 0).toBe(true);
    await service.stop();
  });

  it('can be cancelled', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(readRawHardwareOffThread(tmpdir(), { signal: controller.signal })).rejects.toThrow(
      'cancelled',
    );
  });
});
