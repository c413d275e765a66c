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
  /** The engine that serves each tier; a built-in tier waits for its model. */
  readonly engineFor: (tier: string) => CatalogEngine | 'openai';
  /** Reads the cache (for the disk budget). */
  readonly models: ModelsService;
  /** Whether a tier's built-in model file is ready (the models service, or a file a test hands over). */
  readonly isReady?: (tier: string) => boolean;
  /** The contributor's GPU share (0–1). */
  readonly gpuShare?: number;
}

export interface ServingPlan {
  /** Tiers to announce and run engines for now. */
  readonly serve: readonly string[];
  /** Tiers the node means to serve, whose models it fetches (serve ⊆ planned). */
  readonly planned: readonly string[];
  /** Tiers whose built-in models to download (none when another engine holds its own models). */
  readonly fetch: readonly string[];
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
  const qualified = input.qualified.filter((q) => q.qualified).map((q) => q.tier);
  // Each tier budgeted with the model of the engine that serves it. An OpenAI-compatible server's model is
  // not in the catalog: it is budgeted as the tier's built-in model, the closest statement of its size.
  const plan = planTiers(input.profile, input.config.tiers, {
    qualified,
    engine: (tier) => (input.engineFor(tier) === 'exo' ? 'exo' : 'builtin'),
    cachedBytes,
    ...(input.gpuShare !== undefined ? { gpuShare: input.gpuShare } : {}),
  });
  const forced = input.forced.filter((tier) => known.has(tier));
  const planned = [...new Set([...plan.serve.map((tier) => tier.tier), ...forced])];
  const builtin = planned.filter((tier) => input.engineFor(tier) === 'builtin');
  const isReady = input.isReady ?? ((tier: string) => input.models.isReady(tier));
  const serve = planned.filter((tier) => !builtin.includes(tier) || isReady(tier));
  return { serve, planned, fetch: builtin, skipped: plan.skipped };
}
