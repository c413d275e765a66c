// The tier table a new network starts with: the launch tiers plus a starting price for each.
import type { NetworkTier } from '../../../src-shared/network-config/index.ts';
import { DEFAULT_TIERS } from '../../../src-shared/tiers/index.ts';

/** Tokens per 1,000 work units; bigger models cost more to run. The founders can re-sign other prices. */
const DEFAULT_PRICES: Readonly<Record<string, number>> = {
  'model-a': 1,
  'model-b': 2,
  'model-c': 8,
  'model-d': 20,
};

export function defaultNetworkTiers(): NetworkTier[] {
  return DEFAULT_TIERS.map((tier) => ({
    id: tier.id,
    label: tier.label,
    exampleModels: [...tier.exampleModels],
    minCpuCores: tier.minCpuCores,
    minRamGb: tier.minRamGb,
    minGpuMemoryGb: tier.minGpuMemoryGb,
    recommendedGpuMemoryGb: tier.recommendedGpuMemoryGb,
    minFreeDiskGb: tier.minFreeDiskGb,
    engineModels: tier.engineModels,
    price: DEFAULT_PRICES[tier.id] ?? 1,
  }));
}
