// Which tiers a machine qualifies for, with one human-readable reason per unmet requirement.
import { machineSizes, type MachineSizes } from './machine-sizes.ts';
import { formatGb } from './nominal-size.ts';
import type { ResourceProfile } from './resource-profile.ts';
import type { TierSpec } from './tier-spec.ts';

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
export function qualify(profile: ResourceProfile, tiers: readonly TierSpec[]): TierQualification[] {
  const sizes = machineSizes(profile);
  return tiers.map((tier) => qualifyTier(sizes, tier));
}

function qualifyTier(sizes: MachineSizes, tier: TierSpec): TierQualification {
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
  if (tier.recommendedGpuMemoryGb !== null && sizes.gpuMemoryGb < tier.recommendedGpuMemoryGb) {
    advice.push(`${formatGb(tier.recommendedGpuMemoryGb)} GPU memory recommended, has ${describeGpu(sizes)}`);
  }
  return { tier: tier.id, label: tier.label, qualified: reasons.length === 0, reasons, advice };
}

function describeGpu(sizes: MachineSizes): string {
  return sizes.gpuMemoryGb > 0 ? formatGb(sizes.gpuMemoryGb) : 'none';
}
