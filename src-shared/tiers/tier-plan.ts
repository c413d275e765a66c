// Which of its qualified tiers a machine serves together. Qualification asks "does this tier's model fit the
// machine?" one tier at a time; a strong machine qualifies for several, and their models must then share one
// RAM, one GPU and one disk. The plan places the biggest models first (they are the scarcest in a region) and
// fills what is left with smaller ones, so nothing is joined that the machine cannot hold at once.
import type { ResourceProfile } from './resource-profile.ts';
import { servedModelNeeds } from './qualify.ts';
import type { CatalogEngine } from './tier-models.ts';
import type { TierSpec } from './tier-spec.ts';
import { formatGb } from './nominal-size.ts';

const GIB = 2 ** 30;

export interface TierPlanOptions {
  /** Tier ids that qualified (the plan never adds a tier that did not). */
  readonly qualified: readonly string[];
  /**
   * The engine that serves each tier; its catalog model is the one budgeted (default: see servedModelNeeds).
   * Per tier, because one machine may serve a tier on EXO and another on the built-in engine, and their
   * models differ in size (MLX 4-bit vs GGUF Q4_K_M).
   */
  readonly engine?: CatalogEngine | ((tier: string) => CatalogEngine);
  /** Share of the GPU's usable memory models may take (the contributor's cap), 0–1. Default 1. */
  readonly gpuShare?: number;
  /** RAM kept for the system and the user's own programs. Default: 2 GiB or 15 % of RAM, whichever is more. */
  readonly ramReserveBytes?: number;
  /** Disk kept free for the user. Default 5 GB. */
  readonly diskReserveBytes?: number;
  /** Bytes of each tier's model already in the cache: that part of its disk need is already spent. */
  readonly cachedBytes?: Readonly<Record<string, number>>;
}

/** One tier the machine serves, and where its model's memory goes. */
export interface PlannedTier {
  readonly tier: string;
  /** Of the model's memory, the part on the GPU (its layers offloaded there) and the part in RAM. */
  readonly gpuBytes: number;
  readonly ramBytes: number;
  /** Disk still to be used (the model's size less what the cache holds). */
  readonly diskBytes: number;
  /** The catalog states no size for this tier's model: served without a budget. */
  readonly unbudgeted: boolean;
}

export interface TierPlan {
  readonly serve: readonly PlannedTier[];
  /** Qualified tiers left out, each with the reason a contributor reads. */
  readonly skipped: readonly { readonly tier: string; readonly reason: string }[];
  /** What the models may use in all, before any is placed. */
  readonly budget: { readonly gpuBytes: number; readonly ramBytes: number; readonly diskBytes: number };
}

/** Pure: the same machine, table and options always give the same plan. */
export function planTiers(
  profile: ResourceProfile,
  tiers: readonly TierSpec[],
  options: TierPlanOptions,
): TierPlan {
  const budget = machineBudget(profile, options);
  let { gpuBytes: gpuLeft, ramBytes: ramLeft, diskBytes: diskLeft } = budget;
  const candidates = tiers
    .filter((tier) => options.qualified.includes(tier.id))
    .map((tier) => ({ tier, needs: servedModelNeeds(tier, engineOf(options.engine, tier.id)) }))
    // Biggest first; ties keep the table's order (sort is stable).
    .sort((a, b) => (b.needs?.memoryBytes ?? 0) - (a.needs?.memoryBytes ?? 0));

  const serve: PlannedTier[] = [];
  const skipped: { tier: string; reason: string }[] = [];
  for (const { tier, needs } of candidates) {
    if (needs === null) {
      serve.push({ tier: tier.id, gpuBytes: 0, ramBytes: 0, diskBytes: 0, unbudgeted: true });
      continue;
    }
    const cached = Math.min(needs.diskBytes, Math.max(0, options.cachedBytes?.[tier.id] ?? 0));
    const disk = needs.diskBytes - cached;
    const gpu = Math.min(gpuLeft, needs.memoryBytes);
    const ram = needs.memoryBytes - gpu;
    if (ram > ramLeft) {
      skipped.push({
        tier: tier.id,
        reason: `its model needs ${gb(needs.memoryBytes)} of memory; the tiers served with it leave ${gb(gpuLeft + ramLeft)}`,
      });
      continue;
    }
    if (disk > diskLeft) {
      skipped.push({
        tier: tier.id,
        reason: `its model needs ${diskGbText(disk)} of disk; the tiers served with it leave ${diskGbText(diskLeft)}`,
      });
      continue;
    }
    gpuLeft -= gpu;
    ramLeft -= ram;
    diskLeft -= disk;
    serve.push({ tier: tier.id, gpuBytes: gpu, ramBytes: ram, diskBytes: disk, unbudgeted: false });
  }
  // Report in the table's order, which is how people read tiers.
  const order = (id: string) => tiers.findIndex((tier) => tier.id === id);
  serve.sort((a, b) => order(a.tier) - order(b.tier));
  skipped.sort((a, b) => order(a.tier) - order(b.tier));
  return { serve, skipped, budget };
}

/** What models may use on this machine in all: GPU memory, RAM beside it, and disk. */
export function machineBudget(
  profile: ResourceProfile,
  options: Pick<TierPlanOptions, 'gpuShare' | 'ramReserveBytes' | 'diskReserveBytes'> = {},
): TierPlan['budget'] {
  const share = clamp01(options.gpuShare ?? 1);
  // Engines do not pool GPUs: the largest dedicated card is the one models are placed on. Unified memory is
  // the RAM itself and is budgeted as RAM.
  let gpu = 0;
  for (const card of profile.gpus) {
    if (card.memory.kind === 'dedicated') gpu = Math.max(gpu, card.usableBytes);
  }
  const ramTotal = Math.max(0, profile.memory.totalBytes);
  const ramReserve = options.ramReserveBytes ?? Math.max(2 * GIB, ramTotal * 0.15);
  return {
    gpuBytes: Math.floor(gpu * share),
    ramBytes: Math.max(0, Math.floor(ramTotal - ramReserve)),
    diskBytes: Math.max(0, profile.disk.freeBytes - (options.diskReserveBytes ?? 5e9)),
  };
}

function engineOf(engine: TierPlanOptions['engine'], tier: string): CatalogEngine | undefined {
  return typeof engine === 'function' ? engine(tier) : engine;
}

function clamp01(value: number): number {
  return Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 1;
}

function gb(bytes: number): string {
  return formatGb(Math.ceil((bytes / GIB) * 10) / 10);
}

function diskGbText(bytes: number): string {
  return formatGb(Math.ceil(bytes / 1e8) / 10);
}
