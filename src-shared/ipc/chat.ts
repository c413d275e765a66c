// Chat: the models the region can serve, the cost before sending, and the streamed reply as events.
// Costs are micro-tokens, like every amount of the contract (earnings.ts says why).
import { nonNegativeMicroTokensSchema } from './earnings.ts';
import { tierIdSchema } from './resources.ts';
import {
  array,
  boolean,
  integer,
  nullable,
  number,
  object,
  oneOf,
  string,
  taggedUnion,
  type Infer,
} from './schema.ts';

/** Client-chosen id, so events that arrive before `sendChat` returns can already be matched. */
export const requestIdSchema = string({ min: 8, max: 64, pattern: /^[A-Za-z0-9_-]+$/ });
const modelIdSchema = string({ min: 1, max: 200 });

export const chatModelSchema = object({
  id: modelIdSchema,
  tier: tierIdSchema,
  label: string({ max: 100 }),
  /** Whether some member of the region's cluster can take a request now. */
  available: boolean(),
  /** Why not, when not: "No computer in Asia serves Model C right now". */
  unavailableReason: nullable(string({ max: 300 })),
  /** Whole tokens per 1,000 work units (prompt + completion tokens), as the network config sets it. */
  pricePer1k: number({ min: 0, max: 1e9 }),
});
export type ChatModel = Infer<typeof chatModelSchema>;
export const chatModelsSchema = array(chatModelSchema, { max: 64 });

export const chatMessageSchema = object({
  role: oneOf(['system', 'user', 'assistant']),
  content: string({ max: 32_000 }),
});
export type ChatMessage = Infer<typeof chatMessageSchema>;

const chatRequestShape = {
  model: modelIdSchema,
  messages: array(chatMessageSchema, { max: 200 }),
  maxTokens: integer(1, 32_768),
};
export const chatEstimateInputSchema = object(chatRequestShape);
export type ChatEstimateInput = Infer<typeof chatEstimateInputSchema>;

export const chatEstimateSchema = object({
  promptTokens: integer(0, 1e9),
  /** µT the request costs if the reply uses every allowed token: the most it can cost. */
  maxCost: nonNegativeMicroTokensSchema,
  /** µT a typical reply of this length costs. */
  typicalCost: nonNegativeMicroTokensSchema,
});
export type ChatEstimate = Infer<typeof chatEstimateSchema>;

export const chatSendInputSchema = object({ requestId: requestIdSchema, ...chatRequestShape });
export type ChatSendInput = Infer<typeof chatSendInputSchema>;
export const chatSendOutputSchema = object({ requestId: requestIdSchema });

export const chatCancelInputSchema = object({ requestId: requestIdSchema });
export const chatCancelOutputSchema = object({ cancelled: boolean() });

/** Why a request ended without a full reply. Each has its own message in the UI. */
export const CHAT_FAILURES = [
  'low-balance',
  'no-capacity',
  'queue-timeout',
  'worker-failed',
  'cancelled',
  'invalid-request',
] as const;
export type ChatFailure = (typeof CHAT_FAILURES)[number];

export const chatEventSchema = taggedUnion('type', {
  /** Every worker is busy: the request waits; position 1 is next. */
  queued: { requestId: requestIdSchema, position: integer(1, 1_000_000) },
  started: { requestId: requestIdSchema, worker: string({ max: 64 }) },
  delta: { requestId: requestIdSchema, text: string({ max: 64_000 }) },
  done: {
    requestId: requestIdSchema,
    /** µT, what the ledger charges for these token counts. */
    cost: nonNegativeMicroTokensSchema,
    promptTokens: integer(0, 1e9),
    completionTokens: integer(0, 1e9),
  },
  failed: {
    requestId: requestIdSchema,
    reason: oneOf(CHAT_FAILURES),
    message: string({ max: 500 }),
    /** µT paid for acknowledged tokens of a partial reply (DESIGN.md §4 step 6). */
    cost: nonNegativeMicroTokensSchema,
  },
});
export type ChatEvent = Infer<typeof chatEventSchema>;
