// The payment seams of /og/infer (DESIGN.md §4 steps 3–5): what the worker and the requester ask of the
// ledger during one request. The routing layer moves the frames and counts the tokens; the ledger module
// (src-main/node/ledger/infer-payments.ts) signs, checks and records. Without these the routing runs unpaid
// (tests of routing alone, a node's requests to itself).
import type { ChatDeltaChunk, ChatRequest } from '../../../src-shared/protocol/chat.ts';
import type { Shareholder } from './shard-shares.ts';

/** Why a step of a payment failed, in words for the other side and the logs. */
export type PaymentProblem = string;

/** The worker's side of one paid request. */
export interface WorkPayment {
  /** The quote frame's contents. */
  readonly quote: Uint8Array;
  /** The most completion tokens the quote covers: the worker stops there. */
  readonly maxCompletionTokens: number;
  /** Check the requester's RESERVE against its chain (pulling the chain from it if needed). */
  acceptReserve(block: Uint8Array, signal: AbortSignal): Promise<PaymentProblem | null>;
  /** Tokens that may be sent now without a newer acknowledgement. */
  readonly budget: number;
  /** Record one sent token (its text goes into the output digest). */
  sent(delta: ChatDeltaChunk): void;
  /** An ack frame's contents; a problem when it does not count. */
  acknowledge(ack: Uint8Array): PaymentProblem | null;
  /** The worker-signed receipt for what was sent. */
  receipt(promptTokens: number): Uint8Array;
  /** The requester's co-signed receipt and SETTLE; null when the payment is complete. */
  settle(receipt: Uint8Array, block: Uint8Array): Promise<PaymentProblem | null>;
  /** The requester went away without settling: keep its signed reservation and acks as evidence. */
  unsettled(): void;
}

/** What the worker asks of the ledger when a request arrives. */
export interface WorkerPayments {
  /**
   * Before any quote or slot: may `requester` be served at all? It needs an OPEN account this node does not
   * refuse, with at least the network's minimum available. A chain this node lacks is pulled from `peer`
   * first (bounded by `signal`). A problem refuses the request.
   */
  checkPayer(
    requester: { readonly account: Uint8Array; readonly peer: string },
    signal: AbortSignal,
  ): Promise<PaymentProblem | null>;
  /** Whether this node holds an open account for `account`: a stranger's first frame is kept small. */
  knowsAccount(account: Uint8Array): boolean;
  /**
   * A quote for `requester` (raw Ed25519 key); `peer` is where to pull its chain from; `shareholders` who is
   * paid in what part (the worker alone, or each shard node of a multi-machine instance). A problem refuses.
   */
  quote(
    requester: { readonly account: Uint8Array; readonly peer: string },
    tier: string,
    request: ChatRequest,
    shareholders: readonly Shareholder[],
  ): { readonly ok: true; readonly payment: WorkPayment } | { readonly ok: false; readonly problem: string };
  /**
   * A quote for `requester`'s next request on `tier` with the maxima of `request`, handed out at the end of
   * this reply so the next request can carry its RESERVE in its first frame. The worker keeps it (one use,
   * until it expires); null when `requester` holds `limit` unused offers already or no quote can be made.
   */
  offerNext?(
    requester: { readonly account: Uint8Array; readonly peer: string },
    tier: string,
    request: ChatRequest,
    shareholders: readonly Shareholder[],
    limit: number,
  ): Uint8Array | null;
  /**
   * The payment for a first-frame RESERVE when it answers an offer of this worker to `requester` on `tier`
   * that is still valid and covers `request`; null otherwise (the worker then quotes afresh). The offer is
   * used up either way. The RESERVE itself is checked by the payment's acceptReserve, as after a quote.
   */
  takeOffered?(
    requester: { readonly account: Uint8Array; readonly peer: string },
    tier: string,
    request: ChatRequest,
    reserve: Uint8Array,
  ): WorkPayment | null;
}

/** The requester's side of one paid request. */
export interface RequestPayment {
  /** The RESERVE frame's contents (committed to the own chain already). */
  readonly reserve: Uint8Array;
  /**
   * Record received tokens; when an ack is due, returns its frame's contents, resolved once the ack is
   * journaled durably (it must not leave the node before: security finding 6).
   */
  received(deltas: readonly ChatDeltaChunk[]): Promise<Uint8Array> | null;
  /** The final ack (after the last token), as received() does, or null when it would repeat the last one. */
  finalAck(): Promise<Uint8Array> | null;
  /**
   * The worker's receipt at the end: check it against what arrived, co-sign, and SETTLE. Returns the settle
   * frame's contents once the SETTLE is committed. Rejects with a PaymentError when the receipt is wrong (the
   * request is then settled alone).
   */
  settle(receipt: Uint8Array): Promise<{ readonly receipt: Uint8Array; readonly block: Uint8Array }>;
  /**
   * The reply ended without a receipt (cut off, cancelled, failed): pay for what arrived, alone.
   * 'worker-failed' when the worker broke off (local reputation remembers it); 'ended' otherwise.
   */
  settleAlone(how: 'ended' | 'worker-failed'): void;
}

/** A RESERVE committed ahead of its request, for a quote a worker offered (issue 17). */
export interface HeldReservation {
  /** The RESERVE frame's contents (committed to the own chain already). */
  readonly reserve: Uint8Array;
  /** The payment of `request` on this reservation; null when the quote does not cover it (then release it). */
  use(request: ChatRequest): RequestPayment | null;
  /** Unused: settle it at zero. Never throws. */
  release(): void;
}

/** What the requester asks of the ledger. */
export interface RequesterPayments {
  /**
   * Before routing: throws a user-facing error when this node may not request (balance below the minimum),
   * and returns the request with max_tokens set to what the reservation will cover.
   */
  prepare(tier: string, request: ChatRequest): ChatRequest;
  /** Whether a worker (by peer id) is paid; this node's own worker is not. */
  pays(peerId: string): boolean;
  /**
   * This node's opinion of a worker from settled and failed work: -1 (revoked by a fraud proof: never use)
   * to 1. Worker choice avoids negative ones while others are free.
   */
  reputation(peerId: string): number;
  /**
   * A quote arrived from `worker`: check it against the request, reserve its maximum (commit + publish) and
   * return the payment. Throws InsufficientBalanceError (user-facing) or PaymentError (the worker's fault).
   */
  reserve(
    /** The worker, and the peers of the tier's cluster (shares may pay only them). */
    worker: { readonly peerId: string; readonly cluster: readonly string[] },
    tier: string,
    request: ChatRequest,
    quote: Uint8Array,
  ): RequestPayment;
  /** reserve() committed through the group commit: the RESERVEs of concurrent requests share one fsync. */
  reserveQueued?(
    worker: { readonly peerId: string; readonly cluster: readonly string[] },
    tier: string,
    request: ChatRequest,
    quote: Uint8Array,
  ): Promise<RequestPayment>;
  /**
   * Reserve now, for a request like `like` still to come, the quote `worker` offered at the end of a reply:
   * that request then sends a RESERVE that is durable already. Null when the quote does not check or when
   * holding it would lock balance the next request needs.
   */
  reserveAhead?(
    worker: { readonly peerId: string; readonly cluster: readonly string[] },
    tier: string,
    like: ChatRequest,
    quote: Uint8Array,
  ): Promise<HeldReservation | null>;
}

/** The text of a delta that the output digest covers. */
export function deltaText(delta: ChatDeltaChunk): string {
  let text = delta.content ?? '';
  if (delta.reasoningContent) text += `\u0000r${delta.reasoningContent}`;
  for (const call of delta.toolCalls ?? [])
    text += `\u0000t${call.index}\u0001${call.id ?? ''}\u0001${call.name ?? ''}\u0001${call.arguments ?? ''}`;
  return text;
}
