import { describe, expect, it } from 'vitest';
import { DEFAULT_TIERS, machineBudget, planTiers, type TierSpec } from '../../../src-shared/tiers/index.ts';
import { WORKSTATION_4090, machine } from './profile-fixtures.ts';

const GIB = 2 ** 30;
const [A, B, C] = DEFAULT_TIERS as [TierSpec, TierSpec, TierSpec, TierSpec];
const served = (plan: ReturnType<typeof planTiers>) => plan.serve.map((tier) => tier.tier);

describe('planTiers', () => {
  it('the worked example serves A, B and C together: the 70B model fills the GPU, the rest goes to RAM', () => {
    const plan = planTiers(WORKSTATION_4090, DEFAULT_TIERS, { qualified: ['model-a', 'model-b', 'model-c'] });
    expect(served(plan)).toEqual(['model-a', 'model-b', 'model-c']);
    const c = plan.serve.find((tier) => tier.tier === 'model-c')!;
    expect(c.gpuBytes).toBe(plan.budget.gpuBytes);
    expect(c.ramBytes).toBeGreaterThan(0);
    const a = plan.serve.find((tier) => tier.tier === 'model-a')!;
    expect(a.gpuBytes).toBe(0); // the GPU is already full
    const total = plan.serve.reduce((sum, tier) => sum + tier.gpuBytes + tier.ramBytes, 0);
    expect(total).toBeLessThanOrEqual(plan.budget.gpuBytes + plan.budget.ramBytes);
  });

  it('leaves out a tier whose model no longer fits beside a bigger one, and says why', () => {
    const laptop = machine({ cores: 8, ramBytes: 16 * GIB, freeDiskBytes: 500e9 });
    const plan = planTiers(laptop, DEFAULT_TIERS, { qualified: ['model-a', 'model-b'] });
    expect(served(plan)).toEqual(['model-b']);
    expect(plan.skipped).toEqual([
      {
        tier: 'model-a',
        reason: 'its model needs 6.1 GB of memory; the tiers served with it leave 4.2 GB',
      },
    ]);
  });

  it('budgets disk, counting what the cache already holds', () => {
    const smallDisk = machine({ cores: 8, ramBytes: 64 * GIB, freeDiskBytes: 15e9 });
    const fresh = planTiers(smallDisk, [A, B], { qualified: ['model-a', 'model-b'] });
    expect(served(fresh)).toEqual(['model-b']);
    expect(fresh.skipped[0]?.reason).toBe(
      'its model needs 5 GB of disk; the tiers served with it leave 1.5 GB',
    );
    const cachedA = A.engineModels.builtin!.files[0]!.sizeBytes;
    const cached = planTiers(smallDisk, [A, B], {
      qualified: ['model-a', 'model-b'],
      cachedBytes: { 'model-a': cachedA },
    });
    expect(served(cached)).toEqual(['model-a', 'model-b']);
    expect(cached.serve[0]?.diskBytes).toBe(0);
  });

  it('budgets each tier with the model of the engine that serves it', () => {
    // The same tier needs different memory on each engine (MLX 8-bit vs GGUF Q8_0): each is budgeted as loaded.
    const laptop = machine({ cores: 8, ramBytes: 20 * GIB, freeDiskBytes: 500e9 });
    const qualified = ['model-a', 'model-b'];
    const exoNeeds = (tier: TierSpec) => tier.engineModels.exoNeeds!.memoryBytes;
    const builtinNeeds = (tier: TierSpec) => tier.engineModels.builtin!.memoryBytes;
    const mixed = planTiers(laptop, [A, B], {
      qualified,
      engine: (tier) => (tier === 'model-b' ? 'exo' : 'builtin'),
    });
    const ram = (plan: ReturnType<typeof planTiers>, tier: string) =>
      plan.serve.find((t) => t.tier === tier)?.ramBytes;
    expect(ram(mixed, 'model-a')).toBe(builtinNeeds(A));
    expect(ram(mixed, 'model-b')).toBe(exoNeeds(B));
    const allExo = planTiers(laptop, [A, B], { qualified, engine: 'exo' });
    expect(ram(allExo, 'model-a')).toBe(exoNeeds(A));
  });

  it('never serves a tier that did not qualify, and serves a tier without sizes unbudgeted', () => {
    const unsized: TierSpec = { ...C, id: 'model-x', engineModels: { exo: 'some/model' } };
    const plan = planTiers(WORKSTATION_4090, [A, unsized], { qualified: ['model-x'] });
    expect(plan.serve).toEqual([
      { tier: 'model-x', gpuBytes: 0, ramBytes: 0, diskBytes: 0, unbudgeted: true },
    ]);
  });

  it("takes the contributor's GPU share and reserves RAM and disk for the user", () => {
    const full = machineBudget(WORKSTATION_4090);
    const half = machineBudget(WORKSTATION_4090, { gpuShare: 0.5 });
    expect(half.gpuBytes).toBe(Math.floor(full.gpuBytes / 2));
    expect(full.ramBytes).toBeLessThan(WORKSTATION_4090.memory.totalBytes * 0.86);
    expect(full.diskBytes).toBe(1e12 - 5e9);
    // Unified memory is RAM: a Mac's GPU share is not counted a second time.
    const mac = machine({
      cores: 12,
      ramBytes: 32 * GIB,
      gpus: [
        {
          vendor: 'apple',
          model: 'Apple M2 Max',
          memory: { kind: 'unified', systemBytes: 32 * GIB, gpuShareBytes: 21 * GIB },
          usableBytes: 21 * GIB,
        },
      ],
      freeDiskBytes: 1e12,
    });
    expect(machineBudget(mac).gpuBytes).toBe(0);
  });
});
