// Which tiers a machine qualifies for, with one human-readable reason per unmet requirement.
import { machineSizes, type MachineSizes } from './machine-sizes.ts';
import { formatGb } from './nominal-size.ts';
import type { ResourceProfile } from './resource-profile.ts';
import type { TierSpec } from './tier-spec.ts';
import { modelNeeds, type CatalogEngine, type ModelNeeds } from './tier-models.ts';

const GIB = 2 ** 30;

export interface QualifyOptions {
  /**
   * The engine that would serve: its catalog model must fit the machine. Default: the built-in engine's
   * model where the catalog has one, else EXO's.
   */
  readonly engine?: CatalogEngine;
}

export interface TierQualification {
  readonly tier: string;
  readonly label: string;
  readonly qualified: boolean;
  /** One per unmet requirement: "needs 48 GB GPU memory, has 24 GB". Empty when qualified. */
  readonly reasons: readonly string[];
  /** Unmet recommendations that do not block joining: "8 GB GPU memory recommended, has none". */
  readonly advice: readonly string[];
}

/** Pure: the same profile and table always give the same answer, in the table's order. */
export function qualify(
  profile: ResourceProfile,
  tiers: readonly TierSpec[],
  options: QualifyOptions = {},
): TierQualification[] {
  const sizes = machineSizes(profile);
  return tiers.map((tier) => qualifyTier(sizes, tier, servedModelNeeds(tier, options.engine)));
}

/** What the model that would serve `tier` needs (see QualifyOptions.engine); null when the catalog is silent. */
export function servedModelNeeds(tier: TierSpec, engine?: CatalogEngine): ModelNeeds | null {
  if (engine !== undefined) return modelNeeds(tier.engineModels, engine);
  return modelNeeds(tier.engineModels, 'builtin') ?? modelNeeds(tier.engineModels, 'exo');
}

function qualifyTier(sizes: MachineSizes, tier: TierSpec, needs: ModelNeeds | null): TierQualification {
  const reasons: string[] = [];
  const advice: string[] = [];
  if (sizes.cpuCores < tier.minCpuCores) {
    reasons.push(`needs ${tier.minCpuCores} CPU cores, has ${sizes.cpuCores}`);
  }
  if (sizes.ramGb < tier.minRamGb) {
    reasons.push(`needs ${formatGb(tier.minRamGb)} RAM, has ${formatGb(sizes.ramGb)}`);
  }
  if (tier.minGpuMemoryGb !== null && sizes.gpuMemoryGb < tier.minGpuMemoryGb) {
    reasons.push(`needs ${formatGb(tier.minGpuMemoryGb)} GPU memory, has ${describeGpu(sizes)}`);
  }
  if (sizes.freeDiskGb < tier.minFreeDiskGb) {
    reasons.push(`needs ${formatGb(tier.minFreeDiskGb)} free disk space, has ${formatGb(sizes.freeDiskGb)}`);
  }
  // The catalog's real sizes: a tier whose model does not fit is not served, whatever the table says. Only
  // asked once the table's requirements hold, so one shortage is never reported twice.
  if (needs !== null && reasons.length === 0) {
    const memoryGb = roundUpGb(needs.memoryBytes / GIB);
    if (memoryGb > sizes.modelMemoryGb) {
      reasons.push(
        `its model needs ${formatGb(memoryGb)} of memory (RAM and GPU together), has ${formatGb(sizes.modelMemoryGb)}`,
      );
    }
    const diskNeedGb = Math.ceil(needs.diskBytes / 1e9);
    if (diskNeedGb > sizes.freeDiskGb) {
      reasons.push(
        `its model needs ${formatGb(diskNeedGb)} of disk space, has ${formatGb(sizes.freeDiskGb)}`,
      );
    }
  }
  if (tier.recommendedGpuMemoryGb !== null && sizes.gpuMemoryGb < tier.recommendedGpuMemoryGb) {
    advice.push(`${formatGb(tier.recommendedGpuMemoryGb)} GPU memory recommended, has ${describeGpu(sizes)}`);
  }
  return { tier: tier.id, label: tier.label, qualified: reasons.length === 0, reasons, advice };
}

function roundUpGb(gb: number): number {
  return Math.ceil(gb * 10) / 10;
}

function describeGpu(sizes: MachineSizes): string {
  return sizes.gpuMemoryGb > 0 ? formatGb(sizes.gpuMemoryGb) : 'none';
}
