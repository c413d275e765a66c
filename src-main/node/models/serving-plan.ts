// Which tiers this node serves, from which it only waits for a model: the tier plan (models that fit the
// machine together) plus tiers a devnet forces, and on the built-in engine only those whose model is verified
// in the cache. A node announces itself as serving a cluster only once it can answer there.
import type { NetworkConfig } from '../../../src-shared/network-config/index.ts';
import {
  planTiers,
  type CatalogEngine,
  type ResourceProfile,
  type TierQualification,
} from '../../../src-shared/tiers/index.ts';
import type { ModelsService } from './models-service.ts';

export interface ServingPlanInput {
  readonly config: NetworkConfig;
  readonly profile: ResourceProfile;
  readonly qualified: readonly TierQualification[];
  /** Tiers served whatever the profile says (devnets, tests). */
  readonly forced: readonly string[];
  /** The engine that serves; on `builtin`, a tier waits for its model. */
  readonly engine: CatalogEngine | 'openai';
  readonly models: ModelsService;
  /** The contributor's GPU share (0–1). */
  readonly gpuShare?: number;
}

export interface ServingPlan {
  /** Tiers to announce and run engines for now. */
  readonly serve: readonly string[];
  /** Tiers the node means to serve, whose models it fetches (serve ⊆ planned). */
  readonly planned: readonly string[];
  /** Qualified tiers left out of the plan, with why. */
  readonly skipped: readonly { readonly tier: string; readonly reason: string }[];
}

export async function planServing(input: ServingPlanInput): Promise<ServingPlan> {
  const known = new Set(input.config.tiers.map((tier) => tier.id));
  const cachedBytes: Record<string, number> = {};
  for (const tier of input.config.tiers) {
    const model = tier.engineModels.builtin;
    if (model) cachedBytes[tier.id] = await input.models.cache.bytesOnDisk(model);
  }
  const plan = planTiers(input.profile, input.config.tiers, {
    qualified: input.qualified.filter((q) => q.qualified).map((q) => q.tier),
    // An OpenAI-compatible server holds its own model: budget as the built-in engine would.
    engine: input.engine === 'exo' ? 'exo' : 'builtin',
    cachedBytes,
    ...(input.gpuShare !== undefined ? { gpuShare: input.gpuShare } : {}),
  });
  const forced = input.forced.filter((tier) => known.has(tier));
  const planned = [...new Set([...plan.serve.map((tier) => tier.tier), ...forced])];
  const serve = input.engine === 'builtin' ? planned.filter((tier) => input.models.isReady(tier)) : planned;
  return { serve, planned, skipped: plan.skipped };
}
