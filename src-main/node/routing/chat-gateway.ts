// What the local API and the chat panel ask of the network: which models the region can serve now, and a
// streamed answer from one of them. It maps OpenAI's `model` (a tier's model id, the tier's name, or "auto")
// to a cluster of the node's own region, and leaves a seam for the ledger's admission check.
import type { ChatChunk, ChatRequest } from '../../../src-shared/protocol/chat.ts';
import type { ClusterDirectory } from './cluster-directory.ts';
import { UnknownModelError } from './errors.ts';
import type { InferRequester, RequesterStats, RouteOptions } from './infer-requester.ts';

/** A tier as the gateway needs it (the network config's tier table provides these). */
export interface GatewayTier {
  readonly id: string;
  readonly label: string;
  /** What OpenAI clients name it. */
  readonly modelId: string;
  /** Other names it answers to (another engine's model id). */
  readonly aliases?: readonly string[];
  /** Tokens per 1,000 work units: "auto" prefers the cheapest tier that can answer. */
  readonly price: number;
}

/** One model the region can serve right now. */
export interface ServableModel {
  readonly id: string;
  readonly tier: string;
  readonly label: string;
  readonly price: number;
  /** Live members with the model ready. */
  readonly members: number;
}

export interface ChatGatewayComponents {
  readonly directory: ClusterDirectory;
  readonly requester: InferRequester;
  readonly tiers: () => readonly GatewayTier[];
  /**
   * Throws a user-facing error when this node may not request now (balance below the minimum): the ledger's
   * seam. Called before routing.
   */
  readonly admit?: (tier: GatewayTier, request: ChatRequest) => Promise<void>;
}

export const AUTO_MODEL = 'auto';

export class ChatGateway {
  readonly #components: ChatGatewayComponents;

  constructor(components: ChatGatewayComponents) {
    this.#components = components;
  }

  /** What happened to the requests this node routed so far (retries, failures before the first token, cuts). */
  get stats(): RequesterStats {
    return this.#components.requester.stats;
  }

  /** Tiers of the node's region with at least one live member whose model is ready, cheapest first. */
  models(): ServableModel[] {
    if (this.#components.directory.region() === null) return [];
    return this.#components
      .tiers()
      .map((tier) => ({
        id: tier.modelId,
        tier: tier.id,
        label: tier.label,
        price: tier.price,
        members: this.#components.directory
          .members(tier.id)
          .filter((member) => member.status === 'up' && member.engineReady).length,
      }))
      .filter((model) => model.members > 0)
      .sort((a, b) => a.price - b.price);
  }

  /** The tier `model` names; throws UnknownModelError with the names that would work. */
  resolve(model: string): GatewayTier {
    const tiers = this.#components.tiers();
    if (model === AUTO_MODEL) {
      const cheapest = this.models()[0];
      const tier = cheapest ? tiers.find((candidate) => candidate.id === cheapest.tier) : undefined;
      if (tier) return tier;
      // Nothing serves right now: route to the cheapest tier so the error names what is missing.
      const fallback = [...tiers].sort((a, b) => a.price - b.price)[0];
      if (fallback) return fallback;
      throw new UnknownModelError('this network has no tiers');
    }
    // A client that learned the tier under another engine's model id (EXO's) still reaches it.
    const tier =
      tiers.find((candidate) => candidate.modelId === model || candidate.id === model) ??
      tiers.find((candidate) => candidate.aliases?.includes(model) === true);
    if (tier) return tier;
    const names = tiers.map((candidate) => candidate.id).join(', ');
    throw new UnknownModelError(
      `unknown model "${model.slice(0, 100)}": use ${AUTO_MODEL}, a tier (${names}) or its model id`,
    );
  }

  /**
   * Streams an answer from `tier` (what resolve() returned: resolved once by the caller, so the price it shows
   * and the tier that serves are the same even when "auto" would pick another tier a moment later).
   */
  async *chat(
    tier: GatewayTier,
    request: ChatRequest,
    options: RouteOptions = {},
  ): AsyncGenerator<ChatChunk> {
    await this.#components.admit?.(tier, request);
    yield* this.#components.requester.chat(tier.id, request, options);
  }
}
