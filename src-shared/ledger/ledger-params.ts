// What the ledger needs from the signed network config (DESIGN.md §8). The network-config module embeds or
// converts to this; the ledger never reads the config file itself. Amounts are integer micro-tokens.

/** One token in micro-tokens. All ledger arithmetic is in µT (bigint), never floating point. */
export const MICRO_PER_TOKEN = 1_000_000n;

/** The price of one tier: cost = pricePerUnit × (promptTokens × promptWeight + completionTokens × completionWeight). */
export interface TierPrice {
  /** µT per work unit. */
  readonly pricePerUnit: bigint;
  readonly promptWeight: bigint;
  readonly completionWeight: bigint;
}

/** A genesis allocation: the only issuance there is. */
export interface GenesisEntry {
  /** Raw 32-byte Ed25519 public key of the account. */
  readonly account: Uint8Array;
  /** µT, > 0. */
  readonly amount: bigint;
}

export interface LedgerParams {
  /** 32 bytes naming the network; inside every signed object, so nothing replays across networks. */
  readonly networkId: Uint8Array;
  readonly genesis: readonly GenesisEntry[];
  /** Price per tier id. */
  readonly prices: Readonly<Record<string, TierPrice>>;
  /** A RESERVE needs balance − reserved ≥ this before it (1,000 tokens). */
  readonly minAvailable: bigint;
  /** balance − reserved − maxCost must stay ≥ this (≤ 0): how deep one request may go into debt. */
  readonly floor: bigint;
  /** No single reservation may lock more than this. */
  readonly maxRequestCost: bigint;
  /** The requester signs a cumulative acknowledgement every this many completion tokens. */
  readonly ackEvery: number;
  /** A worker streams at most this many tokens beyond the last acknowledged count. */
  readonly allowance: number;
  /** How far (ms) a block's timestamp may lie ahead of the receiver's clock, or behind its predecessor's. */
  readonly maxClockSkewMs: bigint;
  /** Fingerprint hashes two OPEN blocks must share to be one machine; never fewer than 2 (machine-binding.ts). */
  readonly fingerprintMatchMin: number;
}

/** Defaults of ref/ledger-design.md §14 for everything that is not network-specific. */
export const DEFAULT_LEDGER_PARAMS: Omit<LedgerParams, 'networkId' | 'genesis' | 'prices'> = {
  minAvailable: 1_000n * MICRO_PER_TOKEN,
  floor: -1_000n * MICRO_PER_TOKEN,
  maxRequestCost: 1_000n * MICRO_PER_TOKEN,
  ackEvery: 32,
  allowance: 64,
  maxClockSkewMs: 120_000n,
  fingerprintMatchMin: 2,
};

/** Σ genesis: the constant that balances plus unclaimed outputs always add up to. */
export function genesisTotal(params: Pick<LedgerParams, 'genesis'>): bigint {
  let total = 0n;
  for (const entry of params.genesis) total += entry.amount;
  return total;
}
