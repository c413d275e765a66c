import { describe, expect, it } from 'vitest';
import { DEFAULT_TIERS, qualify, type GpuResource } from '../../../src-shared/tiers/index.ts';
import { BUILD_VM, WORKSTATION_4090, machine, rtx } from './profile-fixtures.ts';

const GIB = 2 ** 30;

function byTier(results: ReturnType<typeof qualify>) {
  return Object.fromEntries(results.map((result) => [result.tier, result]));
}

describe('qualify', () => {
  it('the worked example: 16 cores, 64 GB RAM, RTX 4090, 1 TB joins A, B and C but not D', () => {
    const results = byTier(qualify(WORKSTATION_4090, DEFAULT_TIERS));
    expect(results['model-a']?.qualified).toBe(true);
    expect(results['model-b']?.qualified).toBe(true);
    expect(results['model-c']?.qualified).toBe(true);
    expect(results['model-d']).toMatchObject({
      qualified: false,
      reasons: ['needs 48 GB GPU memory, has 24 GB'],
    });
  });

  it('the same machine with a 48 GB GPU joins all four tiers', () => {
    const profile = { ...WORKSTATION_4090, gpus: [rtx(49_140, 'NVIDIA RTX 6000 Ada Generation')] };
    expect(qualify(profile, DEFAULT_TIERS).map((result) => result.qualified)).toEqual([
      true,
      true,
      true,
      true,
    ]);
  });

  it('takes exact nominal sizes too (64 GiB, 24 GiB, 1 TB)', () => {
    const exact = machine({ cores: 16, ramBytes: 64 * GIB, gpus: [rtx(24 * 1024)], freeDiskBytes: 1e12 });
    expect(qualify(exact, DEFAULT_TIERS).map((result) => result.qualified)).toEqual([
      true,
      true,
      true,
      false,
    ]);
  });

  it('never fails a machine by the few percent its tools under-report', () => {
    // 32 GB installed reports ~31.1 GiB; a 24 GB card as little as 23.6 GiB through some drivers.
    const nearNominal = machine({
      cores: 8,
      ramBytes: 31.1 * GIB,
      gpus: [rtx(24_200)],
      freeDiskBytes: 150e9,
    });
    expect(byTier(qualify(nearNominal, DEFAULT_TIERS))['model-c']?.qualified).toBe(true);
  });

  it('does fail a machine that is really smaller', () => {
    const smaller = machine({ cores: 8, ramBytes: 28 * GIB, gpus: [rtx(20_480)], freeDiskBytes: 149e9 });
    expect(byTier(qualify(smaller, DEFAULT_TIERS))['model-c']?.reasons).toEqual([
      'needs 32 GB RAM, has 28 GB',
      'needs 24 GB GPU memory, has 20 GB',
      'needs 150 GB free disk space, has 149 GB',
    ]);
  });

  it('gives this build machine a reason for every tier', () => {
    const results = byTier(qualify(BUILD_VM, DEFAULT_TIERS));
    expect(results['model-a']).toMatchObject({ qualified: false, reasons: ['needs 4 CPU cores, has 2'] });
    expect(results['model-b']?.advice).toEqual(['8 GB GPU memory recommended, has none']);
    expect(results['model-c']?.reasons).toEqual([
      'needs 8 CPU cores, has 2',
      'needs 32 GB RAM, has 24 GB',
      'needs 24 GB GPU memory, has none',
      'needs 150 GB free disk space, has 82 GB',
    ]);
    expect(results['model-d']?.reasons).toContain('needs 64 GB RAM, has 24 GB');
  });

  it('counts only the largest single GPU, never the sum of several', () => {
    const twoCards = machine({
      cores: 16,
      ramBytes: 64 * GIB,
      gpus: [rtx(24_564), rtx(24_564)],
      freeDiskBytes: 1e12,
    });
    expect(byTier(qualify(twoCards, DEFAULT_TIERS))['model-d']?.reasons).toEqual([
      'needs 48 GB GPU memory, has 24 GB',
    ]);
  });

  it('counts Apple Silicon by the GPU share of unified memory, not all of it', () => {
    const appleGpu = (systemGib: number, shareGib: number): GpuResource => ({
      vendor: 'apple',
      model: 'Apple M2 Ultra',
      memory: { kind: 'unified', systemBytes: systemGib * GIB, gpuShareBytes: shareGib * GIB },
      usableBytes: shareGib * GIB,
    });
    const mac64 = machine({ cores: 16, ramBytes: 64 * GIB, gpus: [appleGpu(64, 48)], freeDiskBytes: 1e12 });
    expect(
      qualify(mac64, DEFAULT_TIERS)
        .slice(0, 3)
        .every((result) => result.qualified),
    ).toBe(true);
    const mac32 = machine({
      cores: 12,
      ramBytes: 32 * GIB,
      gpus: [appleGpu(32, 21.33)],
      freeDiskBytes: 1e12,
    });
    expect(byTier(qualify(mac32, DEFAULT_TIERS))['model-c']?.reasons).toEqual([
      'needs 24 GB GPU memory, has 21.3 GB',
    ]);
  });

  it('ignores GPUs whose memory cannot be trusted', () => {
    const igpu = machine({
      cores: 8,
      ramBytes: 32 * GIB,
      gpus: [{ vendor: 'intel', model: 'Iris Xe', memory: { kind: 'unknown' }, usableBytes: 0 }],
      freeDiskBytes: 1e12,
    });
    expect(byTier(qualify(igpu, DEFAULT_TIERS))['model-c']?.reasons).toEqual([
      'needs 24 GB GPU memory, has none',
    ]);
  });

  it("refuses a tier whose catalog model does not fit, though the table's requirements hold", () => {
    // Unified memory counts once: a 64 GB Mac meets tier D's table, but a 70B model at 8 bits needs ~73 GB.
    const mac64 = machine({
      cores: 16,
      ramBytes: 64 * GIB,
      gpus: [
        {
          vendor: 'apple',
          model: 'Apple M2 Max',
          memory: { kind: 'unified', systemBytes: 64 * GIB, gpuShareBytes: 48 * GIB },
          usableBytes: 48 * GIB,
        },
      ],
      freeDiskBytes: 1e12,
    });
    expect(byTier(qualify(mac64, DEFAULT_TIERS))['model-d']).toMatchObject({
      qualified: false,
      reasons: ['its model needs 73.4 GB of memory (RAM and GPU together), has 64 GB'],
    });
  });

  it('asks the model of the engine that would serve, with its real size on disk', () => {
    const tier = DEFAULT_TIERS[0]!;
    const big = {
      ...tier,
      engineModels: {
        ...tier.engineModels,
        builtin: {
          ...tier.engineModels.builtin!,
          memoryBytes: 30 * GIB,
          files: [{ ...tier.engineModels.builtin!.files[0]!, sizeBytes: 25e9 }],
        },
      },
    };
    const small = machine({ cores: 8, ramBytes: 16 * GIB, freeDiskBytes: 21e9 });
    expect(qualify(small, [big])[0]?.reasons).toEqual([
      'its model needs 30 GB of memory (RAM and GPU together), has 16 GB',
      'its model needs 25 GB of disk space, has 21 GB',
    ]);
    // EXO's model for the same tier is the small one: served by EXO, the tier fits.
    expect(qualify(small, [big], { engine: 'exo' })[0]?.qualified).toBe(true);
  });

  it('counts RAM and a dedicated GPU together for a model that spreads over both', () => {
    const tier = DEFAULT_TIERS[3]!; // ~73 GB: more than the RAM (64 GB), less than RAM + GPU (112 GB)
    const workstation = { ...WORKSTATION_4090, gpus: [rtx(49_140, 'NVIDIA RTX 6000 Ada Generation')] };
    expect(qualify(workstation, [tier])[0]?.qualified).toBe(true);
  });
});
