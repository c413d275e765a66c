// The one projection of the network's tiers onto what clients ask for (issue 11): the OpenAI `model` name of a
// tier, its label and price. The chat gateway, the chat picker and the earnings view all read it from here,
// so a tier is never named one way where it is priced and another where it is served.
import type { NetworkConfig, NetworkTier } from './network-config.ts';

/** A tier as requesters see it. */
export interface ServedTier {
  /** The tier id ("model-a"). */
  readonly id: string;
  readonly label: string;
  /**
   * What OpenAI clients name it: the catalog model the tier serves, the built-in engine's (every install has
   * it) where the catalog has one, otherwise EXO's.
   */
  readonly modelId: string;
  /** Other names a request may use for it (the other engine's model id). */
  readonly aliases: readonly string[];
  /** Tokens per 1,000 work units. */
  readonly price: number;
  readonly exampleModels: readonly string[];
}

export function servedTierOf(tier: NetworkTier): ServedTier {
  return {
    id: tier.id,
    label: tier.label,
    modelId: tier.engineModels.builtin?.id ?? tier.engineModels.exo,
    aliases: tier.engineModels.builtin ? [tier.engineModels.exo] : [],
    price: tier.price,
    exampleModels: tier.exampleModels,
  };
}

/** Every tier of `config` (none while there is no config). */
export function servedTiersOf(config: NetworkConfig | null): ServedTier[] {
  return (config?.tiers ?? []).map(servedTierOf);
}
