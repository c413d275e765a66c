// Balance, earnings and spending as the ledger reports them (DESIGN.md §8).
//
// Every amount here is in MICRO-TOKENS (1 token = 1,000,000 µT), the ledger's own unit, as a whole number.
// Prices are per 1,000 work units, so a typical chat costs a fraction of a token: whole tokens would show a
// balance that does not move after a chat, or a cost that disagrees with the ledger. Carrying µT exactly
// means nothing is rounded anywhere between the ledger and the screen (the UI formats with
// src-shared/ledger/token-amount.ts, the same formatter as GET /api/ledger).
import { tierIdSchema } from './resources.ts';
import { array, integer, nullable, object, oneOf, string, type Infer } from './schema.ts';

/** One token in micro-tokens, as a plain number (µT amounts are safe integers, ±9 billion tokens). */
export const MICRO_PER_TOKEN_NUMBER = 1_000_000;

/** A signed amount in micro-tokens. */
export const microTokensSchema = integer(-Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
/** An amount in micro-tokens that cannot be negative (a cost, a sum of earnings). */
export const nonNegativeMicroTokensSchema = integer(0, Number.MAX_SAFE_INTEGER);
const timestamp = integer(0, 8.64e15);

export const balanceSchema = object({
  /**
   * µT the user has: the balance minus what requests still running hold. Includes `heldAhead` (still the
   * user's). May go below zero (down to a floor).
   */
  available: microTokensSchema,
  /** µT held by requests still running. */
  reserved: nonNegativeMicroTokensSchema,
  /**
   * µT reserved ahead for the next request (a worker's offered price, so it starts without waiting): part of
   * `available`, freed at once when unused.
   */
  heldAhead: nonNegativeMicroTokensSchema,
  /** µT earned by answering requests, ever. */
  earned: nonNegativeMicroTokensSchema,
  /** µT spent on own requests, ever. */
  spent: nonNegativeMicroTokensSchema,
  /** A new request needs at least this many µT available (1,000 tokens in phase 1). */
  minimumToRequest: nonNegativeMicroTokensSchema,
});
export type Balance = Infer<typeof balanceSchema>;

export const earningsEntrySchema = object({
  /** The ledger block (SETTLE or CREDIT) this entry comes from. */
  id: string({ max: 100 }),
  at: timestamp,
  direction: oneOf(['earned', 'spent']),
  /** µT paid (spent) or received (earned). */
  amount: nonNegativeMicroTokensSchema,
  /** Null when the request's terms are not known to this node (or name a tier it does not know). */
  tier: nullable(tierIdSchema),
  model: nullable(string({ max: 200 })),
  /** Prompt + completion tokens of the request. */
  tokens: integer(0, 1e12),
  /** Shortened peer id of the other side. */
  counterparty: nullable(string({ max: 64 })),
});
export type EarningsEntry = Infer<typeof earningsEntrySchema>;

/** The balance (µT, before reservations) after one ledger block. */
export const balancePointSchema = object({ at: timestamp, balance: microTokensSchema });
export type BalancePoint = Infer<typeof balancePointSchema>;

export const earningsSchema = object({
  /** Balance over time, oldest first, for the chart; long histories are sampled, the last point is now. */
  series: array(balancePointSchema, { max: 1000 }),
  /** Most recent first. */
  recent: array(earningsEntrySchema, { max: 200 }),
});
export type Earnings = Infer<typeof earningsSchema>;

export const earningsInputSchema = object({ limit: integer(1, 200) });
