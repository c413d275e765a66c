// Balance, earnings and spending as the ledger reports them (DESIGN.md §8). Amounts are whole tokens.
import { tierIdSchema } from './resources.ts';
import { array, integer, nullable, object, oneOf, string, type Infer } from './schema.ts';

const tokens = integer(-1e15, 1e15);
const timestamp = integer(0, 8.64e15);

export const balanceSchema = object({
  /** What can be spent now: the balance minus open reservations. May go below zero (down to a floor). */
  available: tokens,
  /** Held by requests still running. */
  reserved: integer(0, 1e15),
  earned: integer(0, 1e15),
  spent: integer(0, 1e15),
  /** A new request needs at least this much available (1,000 in phase 1). */
  minimumToRequest: integer(0, 1e15),
});
export type Balance = Infer<typeof balanceSchema>;

export const earningsEntrySchema = object({
  id: string({ max: 100 }),
  at: timestamp,
  direction: oneOf(['earned', 'spent']),
  amount: integer(0, 1e15),
  tier: tierIdSchema,
  model: nullable(string({ max: 200 })),
  /** Prompt + completion tokens of the request. */
  tokens: integer(0, 1e12),
  /** Shortened peer id of the other side. */
  counterparty: nullable(string({ max: 64 })),
});
export type EarningsEntry = Infer<typeof earningsEntrySchema>;

export const balancePointSchema = object({ at: timestamp, balance: tokens });
export type BalancePoint = Infer<typeof balancePointSchema>;

export const earningsSchema = object({
  /** Balance over time, oldest first, for the chart. */
  series: array(balancePointSchema, { max: 1000 }),
  /** Most recent first. */
  recent: array(earningsEntrySchema, { max: 200 }),
});
export type Earnings = Infer<typeof earningsSchema>;

export const earningsInputSchema = object({ limit: integer(1, 200) });
