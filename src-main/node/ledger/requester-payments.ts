// The requester's side of paid requests (DESIGN.md §4 steps 2–5): admission before routing, the quote's
// check and the RESERVE (committed before it leaves the node); one RequestPaymentSession per request then
// acks, checks the receipt and SETTLEs. A requester pays only for tokens it received, and never twice. At
// start it settles alone whatever a crash left reserved, and RELEASEs what no SETTLE can close.
import { peerIdFromString } from '@libp2p/peer-id';
import { buildRelease, buildReserve, buildSettle } from '../../../src-shared/ledger/block-builders.ts';
import { bytesEqual, toHex } from '../../../src-shared/ledger/bytes.ts';
import type { ChainState } from '../../../src-shared/ledger/chain-state.ts';
import type { LedgerParams } from '../../../src-shared/ledger/ledger-params.ts';
import { decodeQuote, termsForQuote, verifyQuote } from '../../../src-shared/ledger/payment/quote.ts';
import { createReceipt } from '../../../src-shared/ledger/payment/receipt.ts';
import type { ChatRequest } from '../../../src-shared/protocol/chat.ts';
import { promptTokenCount } from '../../../src-shared/protocol/prompt-token-count.ts';
import { admission, requestCost } from '../../../src-shared/ledger/economy.ts';
import type { HeldReservation, RequestPayment, RequesterPayments } from '../routing/payments.ts';
import { InsufficientBalanceError, NoRoomToHoldError, PaymentError } from './errors.ts';
import type { LedgerService } from './ledger-service.ts';
import type { LedgerSigner } from './ledger-signer.ts';
import { createNativeVerifier, nativeSha256 } from './native-crypto.ts';
import { heldReservation, type PreparedReserve } from './held-reservation.ts';
import { RequestPaymentSession } from './request-payment-session.ts';
import { rememberingVerifier } from '../../../src-shared/ledger/verified-signatures.ts';
import { DEFAULT_MAX_COMPLETION_TOKENS } from './worker-payments.ts';

/**
 * How far a quote's prompt maximum may exceed this request's count: a quote offered at the end of a previous
 * reply covers that request's prompt, and reserving a little more is harmless, as the receipt may claim no
 * more than this request's count (security finding 16) whatever the quote says.
 */
const OFFERED_PROMPT_SLACK = 256;

export interface RequesterPaymentsComponents {
  readonly ledger: LedgerService;
  readonly signer: LedgerSigner;
  readonly params: () => LedgerParams;
  /** This node's peer id: its own worker serves it for free. */
  readonly selfPeerId: string;
  readonly now?: () => number;
}

export class LedgerRequesterPayments implements RequesterPayments {
  readonly #components: RequesterPaymentsComponents;
  // Remembering: a quote held ahead is checked again when a request uses it.
  readonly #verify = rememberingVerifier(createNativeVerifier());
  readonly #now: () => number;
  /** Reputation changes rarely and is asked for often (every worker choice, every gossip heartbeat). */
  #scores: { version: number; scores: Map<string, number> } | null = null;
  readonly #accounts = new Map<string, string>();
  readonly #releases = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(components: RequesterPaymentsComponents) {
    this.#components = components;
    this.#now = components.now ?? Date.now;
  }

  pays(peerId: string): boolean {
    return peerId !== this.#components.selfPeerId;
  }

  reputation(peerId: string): number {
    const version = this.#components.ledger.reputationVersion;
    if (this.#scores === null || this.#scores.version !== version) {
      const scores = new Map<string, number>();
      for (const [account, record] of this.#components.ledger.reputation()) scores.set(account, record.score);
      this.#scores = { version, scores };
    }
    let account = this.#accounts.get(peerId);
    if (account === undefined) {
      try {
        account = toHex(accountOf(peerId));
      } catch {
        return 0;
      }
      if (this.#accounts.size >= 4096) this.#accounts.clear();
      this.#accounts.set(peerId, account);
    }
    return this.#scores.scores.get(account) ?? 0;
  }

  prepare(tier: string, request: ChatRequest): ChatRequest {
    const { ledger } = this.#components;
    const params = this.#components.params();
    const price = Object.hasOwn(params.prices, tier) ? params.prices[tier] : undefined;
    if (!price) throw new PaymentError(`the network sets no price for ${tier}`);
    const maxPrompt = promptTokenCount(request);
    let maxTokens = request.max_tokens;
    if (maxTokens === undefined) {
      // As long a reply as the balance can cover, up to the usual ceiling.
      const chain = ledger.view.chain(ledger.account);
      const room = (chain ? chain.balance - chain.reserved : 0n) - params.floor;
      const limit = room < params.maxRequestCost ? room : params.maxRequestCost;
      const unitCost = price.pricePerUnit * price.completionWeight;
      const promptCost = requestCost(price, maxPrompt, 0);
      const affordable = unitCost > 0n && limit > promptCost ? (limit - promptCost) / unitCost : 0n;
      maxTokens = Number(
        affordable < BigInt(DEFAULT_MAX_COMPLETION_TOKENS) ? affordable : DEFAULT_MAX_COMPLETION_TOKENS,
      );
      if (maxTokens < 1) maxTokens = 1;
    }
    ledger.assertCanRequest(requestCost(price, maxPrompt, maxTokens));
    return request.max_tokens === maxTokens ? request : { ...request, max_tokens: maxTokens };
  }

  reserve(
    worker: { readonly peerId: string; readonly cluster: readonly string[] },
    tier: string,
    request: ChatRequest,
    quoteBytes: Uint8Array,
  ): RequestPayment {
    const prepared = this.#prepareReserve(worker, tier, request, quoteBytes);
    return prepared.session(this.#components.ledger.appendOwn(prepared.build));
  }

  /** reserve() through the group commit: the RESERVEs of concurrent requests share one fsync. */
  async reserveQueued(
    worker: { readonly peerId: string; readonly cluster: readonly string[] },
    tier: string,
    request: ChatRequest,
    quoteBytes: Uint8Array,
  ): Promise<RequestPayment> {
    const prepared = this.#prepareReserve(worker, tier, request, quoteBytes);
    return prepared.session(await this.#components.ledger.append(prepared.build));
  }

  async reserveAhead(
    worker: { readonly peerId: string; readonly cluster: readonly string[] },
    tier: string,
    like: ChatRequest,
    quoteBytes: Uint8Array,
  ): Promise<HeldReservation | null> {
    const { ledger } = this.#components;
    const params = this.#components.params();
    let prepared: PreparedReserve;
    try {
      prepared = this.#prepareReserve(worker, tier, like, quoteBytes);
    } catch {
      return null;
    }
    // Held only while it leaves the balance a request of the largest cost still needs: a reservation held
    // ahead must never shorten the next reply (prepare() sizes it from what is available) or refuse it.
    const leavesRoom = (state: ChainState | undefined): state is ChainState =>
      state !== undefined &&
      admission(params, state.balance, state.reserved + prepared.maxCost, params.maxRequestCost) === null;
    if (!leavesRoom(ledger.view.chain(ledger.account))) return null;
    // Held ahead from before its commit: no balance shown meanwhile counts its tokens as gone.
    ledger.holdAhead(prepared.requestId);
    let block;
    try {
      block = await ledger.append((state) => {
        // Again at the commit, on the chain as the batch left it: offers that arrived together were all
        // checked against the same state above, and together they could have taken the next request's room.
        if (!leavesRoom(state)) throw new NoRoomToHoldError('no room left to hold this offer ahead');
        return prepared.build(state);
      });
    } catch (error) {
      ledger.unholdAhead(prepared.requestId);
      if (error instanceof NoRoomToHoldError) return null;
      throw error;
    }
    return heldReservation(
      block,
      prepared,
      (request) => {
        try {
          // The request it is used for must fit the quote as a fresh one would (its balance is reserved already).
          return this.#prepareReserve(worker, tier, request, quoteBytes, { reserved: true }).session(block);
        } catch {
          return null;
        }
      },
      () => ledger.unholdAhead(prepared.requestId),
    );
  }

  #prepareReserve(
    worker: { readonly peerId: string; readonly cluster: readonly string[] },
    tier: string,
    request: ChatRequest,
    quoteBytes: Uint8Array,
    options: { readonly reserved?: boolean } = {},
  ): PreparedReserve {
    const { ledger, signer } = this.#components;
    const params = this.#components.params();
    const quote = decodeQuote(quoteBytes, nativeSha256);
    if (quote === null) throw new PaymentError('the worker’s quote does not decode');
    const q = quote.body;
    const workerKey = accountOf(worker.peerId);
    if (!bytesEqual(q.worker, workerKey) || !verifyQuote(quote, params.networkId, this.#verify))
      throw new PaymentError('the quote is not signed by the worker');
    if (!bytesEqual(q.requester, signer.publicKey) || q.tier !== tier)
      throw new PaymentError('the quote is for another requester or tier');
    if (q.maxCompletionTokens !== request.max_tokens)
      throw new PaymentError('the quote covers another reply length than asked');
    const prompt = promptTokenCount(request);
    if (q.maxPromptTokens > prompt + OFFERED_PROMPT_SLACK)
      throw new PaymentError(
        `the quote claims ${q.maxPromptTokens} prompt tokens; the network counts ${prompt} for this request`,
      );
    // The worker alone, or the shard nodes of its instance: members of the cluster, nobody else.
    const payable = new Set([toHex(workerKey), ...worker.cluster.flatMap((peer) => accountHex(peer))]);
    if (q.shares.some((share) => !payable.has(toHex(share.pk))))
      throw new PaymentError('the quote pays someone outside the cluster');
    if (q.expiresAt <= BigInt(this.#now())) throw new PaymentError('the quote has expired');
    const terms = termsForQuote(params, quote);
    if (!options.reserved) ledger.assertCanRequest(terms.maxCost);
    return {
      requestId: q.requestId,
      maxCost: terms.maxCost,
      build: (state) => {
        if (!state) throw new InsufficientBalanceError('this node has no account yet');
        return buildReserve(params, state, BigInt(this.#now()), {
          requestId: q.requestId,
          worker: workerKey,
          maxPromptTokens: q.maxPromptTokens,
          maxCompletionTokens: q.maxCompletionTokens,
          terms,
        });
      },
      session: (reserve) =>
        new RequestPaymentSession({
          ledger,
          signer,
          params,
          verify: this.#verify,
          now: this.#now,
          quote,
          workerKey,
          reserve,
          billablePrompt: Math.min(prompt, q.maxPromptTokens),
          releaseLater: (requestId, expiresAt) => this.#releaseLater(requestId, expiresAt),
        }),
    };
  }

  /**
   * Settle alone every reservation of this account still open (a crash or restart between RESERVE and
   * SETTLE; security finding 6): at least the acks it signed (the journal), the prompt it would pay alone,
   * nothing when nothing was acknowledged. Run at start, before any request of this process. Returns how
   * many it closed.
   */
  settleOpenReservations(): number {
    const { ledger, signer } = this.#components;
    const params = this.#components.params();
    const chain = ledger.view.chain(ledger.account);
    if (!chain) return 0;
    let closed = 0;
    for (const reservation of [...chain.open.values()]) {
      const reserve = ledger.view.block(reservation.reserveId);
      if (!reserve) continue;
      const requestId = reserve.body.requestId;
      const journaled = ledger.journal.ackedFor(requestId);
      const completion = Math.min(journaled?.acked ?? 0, reservation.maxCompletionTokens);
      const prompt = completion === 0 ? 0 : Math.min(journaled!.promptTokens, reservation.maxPromptTokens);
      const own = createReceipt(
        {
          net: params.networkId,
          requestId,
          reserveId: reservation.reserveId,
          requester: signer.publicKey,
          worker: reserve.body.counterparty,
          promptTokens: prompt,
          completionTokens: completion,
          outDigest: new Uint8Array(32),
        },
        signer.sign,
        nativeSha256,
      );
      try {
        ledger.appendOwn((state) => {
          const open = state?.open.get(toHex(requestId));
          if (!state || !open) throw new PaymentError('the reservation is no longer open');
          return buildSettle(params, state, BigInt(this.#now()), open, requestId, own.id, prompt, completion);
        });
        ledger.journal.forgetAcks(requestId);
        ledger.unholdAhead(requestId);
        closed++;
      } catch {
        if (completion === 0) this.#releaseLater(requestId, reservation.terms.expiresAt);
      }
    }
    return closed;
  }

  /** Cancel the RELEASEs still waiting (the node is stopping; the next start settles what stays open). */
  stop(): void {
    for (const timer of this.#releases.values()) clearTimeout(timer);
    this.#releases.clear();
  }

  /** RELEASE an unacknowledged reservation no SETTLE could close, once its quote has expired. */
  #releaseLater(requestId: Uint8Array, expiresAt: bigint): void {
    const key = toHex(requestId);
    if (this.#releases.has(key)) return;
    const wait = Math.max(0, Number(expiresAt) - this.#now()) + 1;
    const timer = setTimeout(() => {
      this.#releases.delete(key);
      const { ledger } = this.#components;
      try {
        ledger.appendOwn((state) => {
          const open = state?.open.get(key);
          if (!state || !open) throw new PaymentError('the reservation is no longer open');
          return buildRelease(this.#components.params(), state, BigInt(this.#now()), open, requestId);
        });
        ledger.journal.forgetAcks(requestId);
      } catch {
        // Closed meanwhile, or the store failed: the next start tries again.
      }
    }, wait);
    timer.unref();
    this.#releases.set(key, timer);
  }
}

/** A peer's account as hex, or nothing when the peer id has no Ed25519 key. */
function accountHex(peerId: string): string[] {
  try {
    return [toHex(accountOf(peerId))];
  } catch {
    return [];
  }
}

function accountOf(peerId: string): Uint8Array {
  const parsed = peerIdFromString(peerId);
  if (parsed.type !== 'Ed25519') throw new PaymentError(`worker ${peerId} has no Ed25519 key`);
  return parsed.publicKey.raw;
}
