// The worker's side of paid requests (DESIGN.md §4 steps 3–5, ref/ledger-design.md §4): the quote, then one
// WorkPaymentSession per request (RESERVE check, acks, receipt, SETTLE). A requester that goes away without
// settling is judged at the settle deadline from its own signed RESERVE and best ack: fraud (underpaid,
// released after acks) becomes a proof every node can check; plain non-payment costs it reputation here. The
// pending judgements are journaled in SQLite and resumed after a restart.
import { randomBytes } from 'node:crypto';
import { peerIdFromString } from '@libp2p/peer-id';
import { TypedEventEmitter } from 'main-event';
import { decodeBlock, encodeBlock } from '../../../src-shared/ledger/block-codec.ts';
import { BlockKind, type Block } from '../../../src-shared/ledger/block.ts';
import { bytesEqual, toHex } from '../../../src-shared/ledger/bytes.ts';
import type { LedgerParams } from '../../../src-shared/ledger/ledger-params.ts';
import { decodeAck, encodeAck, type Ack } from '../../../src-shared/ledger/payment/ack.ts';
import {
  judgeNonSettlement,
  type NonSettlementReport,
} from '../../../src-shared/ledger/payment/non-settlement.ts';
import {
  createQuote,
  encodeQuote,
  termsForQuote,
  type Quote,
} from '../../../src-shared/ledger/payment/quote.ts';
import { MAX_SHARES, type ShareTerm } from '../../../src-shared/ledger/reserve-terms.ts';
import { admission } from '../../../src-shared/ledger/economy.ts';
import type { ChatRequest } from '../../../src-shared/protocol/chat.ts';
import { promptTokenCount } from '../../../src-shared/protocol/prompt-token-count.ts';
import type { WorkPayment, WorkerPayments } from '../routing/payments.ts';
import type { Shareholder } from '../routing/shard-shares.ts';
import type { LedgerService } from './ledger-service.ts';
import type { LedgerSigner } from './ledger-signer.ts';
import { createNativeVerifier, nativeSha256 } from './native-crypto.ts';
import type { SettlementOutcome } from './settlement-outcome.ts';
import type { PaymentJournal } from './payment-journal.ts';
import { QuoteOffers } from './quote-offers.ts';
import { WorkPaymentSession, type WorkEvidence } from './work-payment-session.ts';

/** Completion tokens a quote covers when the request names no max_tokens. */
export const DEFAULT_MAX_COMPLETION_TOKENS = 4096;

export interface WorkerPaymentsComponents {
  readonly ledger: LedgerService;
  readonly signer: LedgerSigner;
  readonly params: () => LedgerParams;
  /** Fetch an account's chain from a peer (ledger sync), for a RESERVE whose chain this node lacks. */
  readonly pullAccount: (peer: string, account: Uint8Array, signal: AbortSignal) => Promise<unknown>;
}

export interface WorkerPaymentsInit {
  /** How long a quote stays valid (ms). */
  readonly quoteTtlMs?: number;
  /** How long after its last ack a requester has to settle before it is judged (ms). */
  readonly settleDeadlineMs?: number;
  /** Requests judged later, at most (oldest evidence dropped beyond). */
  readonly maxPendingJudgements?: number;
  /**
   * After a restart, how long past-due judgements wait (ms): the node first catches up with the network, or
   * it would judge by a view that has not seen the SETTLE.
   */
  readonly resumeGraceMs?: number;
  readonly now?: () => number;
}

export interface WorkerPaymentsEvents {
  settlement: CustomEvent<SettlementOutcome>;
  /** Evidence against a requester that did not settle: gossip it so the region can judge it too. */
  report: CustomEvent<NonSettlementReport>;
}

export class LedgerWorkerPayments extends TypedEventEmitter<WorkerPaymentsEvents> implements WorkerPayments {
  readonly #components: WorkerPaymentsComponents;
  readonly #quoteTtlMs: number;
  readonly #settleDeadlineMs: number;
  readonly #maxPending: number;
  readonly #resumeGraceMs: number;
  readonly #now: () => number;
  readonly #verify = createNativeVerifier();
  readonly #pending = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #offers: QuoteOffers;

  constructor(components: WorkerPaymentsComponents, init: WorkerPaymentsInit = {}) {
    super();
    this.#components = components;
    this.#quoteTtlMs = init.quoteTtlMs ?? 30_000;
    this.#settleDeadlineMs = init.settleDeadlineMs ?? 10 * 60_000;
    this.#maxPending = init.maxPendingJudgements ?? 1024;
    this.#resumeGraceMs = init.resumeGraceMs ?? 60_000;
    this.#now = init.now ?? Date.now;
    this.#offers = new QuoteOffers(this.#now);
  }

  /** Stops the judgement timers; the journal keeps them for resumeJudgements() at the next start. */
  stop(): void {
    for (const timer of this.#pending.values()) clearTimeout(timer);
    this.#pending.clear();
  }

  async checkPayer(
    requester: { readonly account: Uint8Array; readonly peer: string },
    signal: AbortSignal,
  ): Promise<string | null> {
    const { ledger } = this.#components;
    if (ledger.view.isRevoked(requester.account)) return 'the account is revoked by a fraud proof';
    if (!ledger.view.chain(requester.account)) {
      try {
        await this.#components.pullAccount(requester.peer, requester.account, signal);
      } catch {
        // Judged below from what arrived (nothing, when the peer would not say).
      }
    }
    const chain = ledger.view.chain(requester.account);
    if (!chain) return 'your account has no OPEN block this node can see';
    const refusal = ledger.view.serviceRefusal(requester.account);
    if (refusal) return `this node does not serve your account: ${refusal}`;
    if (admission(this.#components.params(), chain.balance, chain.reserved, 0n) !== null)
      return 'your account has less than the minimum available';
    return null;
  }

  knowsAccount(account: Uint8Array): boolean {
    const { view } = this.#components.ledger;
    return view.chain(account) !== undefined && !view.isRevoked(account);
  }

  quote(
    requester: { readonly account: Uint8Array; readonly peer: string },
    tier: string,
    request: ChatRequest,
    shareholders: readonly Shareholder[],
  ): { readonly ok: true; readonly payment: WorkPayment } | { readonly ok: false; readonly problem: string } {
    const made = this.#makeQuote(requester, tier, request, shareholders);
    if (!made.ok) return made;
    return { ok: true, payment: this.#payment(made.quote, requester.peer, request) };
  }

  offerNext(
    requester: { readonly account: Uint8Array; readonly peer: string },
    tier: string,
    request: ChatRequest,
    shareholders: readonly Shareholder[],
    limit: number,
  ): Uint8Array | null {
    if (this.#offers.held(requester.peer) >= limit) return null;
    const made = this.#makeQuote(requester, tier, request, shareholders);
    if (!made.ok || !this.#offers.add(made.quote, requester.peer, limit)) return null;
    return encodeQuote(made.quote);
  }

  takeOffered(
    requester: { readonly account: Uint8Array; readonly peer: string },
    tier: string,
    request: ChatRequest,
    reserve: Uint8Array,
  ): WorkPayment | null {
    const block = decodeBlock(reserve, nativeSha256);
    if (block === null || block.body.kind !== BlockKind.RESERVE) return null;
    const quote = this.#offers.take(block.body.linkId, requester.peer);
    if (quote === null) return null;
    const q = quote.body;
    // The offer was made for a request like the previous one: this one must fit inside its maxima, or the
    // worker would be paid less than the work (the receipt caps the prompt at the quote's maximum).
    if (
      !bytesEqual(q.requester, requester.account) ||
      q.tier !== tier ||
      promptTokenCount(request) > q.maxPromptTokens ||
      (request.max_tokens ?? DEFAULT_MAX_COMPLETION_TOKENS) > q.maxCompletionTokens
    )
      return null;
    return this.#payment(quote, requester.peer, request);
  }

  /** Unused offers this worker keeps now (tests, the footprint). */
  get offersKept(): number {
    return this.#offers.size;
  }

  #makeQuote(
    requester: { readonly account: Uint8Array; readonly peer: string },
    tier: string,
    request: ChatRequest,
    shareholders: readonly Shareholder[],
  ): { readonly ok: true; readonly quote: Quote } | { readonly ok: false; readonly problem: string } {
    const { ledger, signer } = this.#components;
    const params = this.#components.params();
    const refusal = ledger.view.chain(requester.account)
      ? ledger.view.serviceRefusal(requester.account)
      : ledger.view.isRevoked(requester.account)
        ? 'the account is revoked by a fraud proof'
        : null;
    if (refusal) return { ok: false, problem: `this node does not serve your account: ${refusal}` };
    const maxCompletionTokens = request.max_tokens ?? DEFAULT_MAX_COMPLETION_TOKENS;
    const quote = createQuote(
      {
        net: params.networkId,
        requestId: new Uint8Array(randomBytes(32)),
        requester: requester.account,
        worker: signer.publicKey,
        tier,
        shares: sharesOf(shareholders, signer.publicKey),
        // The network's count of this prompt (finding 16): what the requester accepts, exactly.
        maxPromptTokens: promptTokenCount(request),
        maxCompletionTokens,
        expiresAt: BigInt(this.#now() + this.#quoteTtlMs),
      },
      signer.sign,
      nativeSha256,
    );
    let maxCost: bigint;
    try {
      maxCost = termsForQuote(params, quote).maxCost;
    } catch {
      return { ok: false, problem: `the network sets no price for ${tier}` };
    }
    if (maxCost > params.maxRequestCost)
      return { ok: false, problem: 'the request is too large to pay for in one reservation' };
    return { ok: true, quote };
  }

  #payment(quote: Quote, peer: string, request: ChatRequest): WorkPayment {
    return new WorkPaymentSession({
      // An offered quote may cover a longer prompt than this request's: the receipt claims this one's count.
      billablePrompt: Math.min(quote.body.maxPromptTokens, promptTokenCount(request)),
      ledger: this.#components.ledger,
      signer: this.#components.signer,
      params: this.#components.params(),
      verify: this.#verify,
      now: this.#now,
      quote,
      peer,
      pullAccount: this.#components.pullAccount,
      announce: (detail) => this.safeDispatchEvent('settlement', { detail }),
      judgeLater: (reserve, window) => this.#judgeLater(reserve, window.bestAck),
      evidence: this.#evidence,
    });
  }

  /**
   * Evidence journaled while a request runs (the worker-crash finding: acks held only in memory died with a
   * crashed worker, which then could not judge a requester that never settled). A write failure costs the
   * evidence, never the request.
   */
  readonly #evidence: WorkEvidence = {
    reserved: (reserve) =>
      this.#journalSafely((journal) =>
        journal.keepJudgement({
          reserveId: reserve.id,
          reserve: encodeBlock(reserve),
          ack: null,
          dueAt: this.#now() + this.#settleDeadlineMs,
        }),
      ),
    acked: (reserveId, ack) => this.#journalSafely((journal) => journal.updateJudgementAck(reserveId, ack)),
    closed: (reserveId) => this.#journalSafely((journal) => journal.dropJudgement(reserveId)),
  };

  #journalSafely(write: (journal: PaymentJournal) => void): void {
    // With the next group commit, not an fsync of its own on the request path (issue 17). Losing these rows
    // in a crash is harmless to everyone but this worker: they are its evidence against a requester that does
    // not settle, and a crash loses at most the last turn's rows (at worst it cannot judge that requester, as
    // before the journal existed); nothing is paid or refused because of them.
    try {
      this.#components.ledger.deferJournal(write);
    } catch {
      // The store is closing or failed: the evidence is lost, not the request.
    }
  }

  /**
   * Schedule the judgements a previous run of this node left pending (security finding 6: evidence of
   * non-payment survives a restart). Past-due ones are judged after the resume grace.
   */
  resumeJudgements(): number {
    const journal = this.#components.ledger.journal;
    let resumed = 0;
    for (const pending of journal.judgements()) {
      const reserve = decodeBlock(pending.reserve, nativeSha256);
      const ack = pending.ack === null ? null : decodeAck(pending.ack);
      if (reserve === null || (pending.ack !== null && ack === null)) {
        journal.dropJudgement(pending.reserveId);
        continue;
      }
      this.#schedule(reserve, ack, Math.max(pending.dueAt, this.#now() + this.#resumeGraceMs));
      resumed++;
    }
    return resumed;
  }

  /** At the deadline, judge the requester by its own signed RESERVE and best ack (journaled until then). */
  #judgeLater(reserve: Block, ack: Ack | null): void {
    const key = toHex(reserve.id);
    if (this.#pending.has(key)) return;
    if (this.#pending.size >= this.#maxPending) {
      const [oldest, timer] = this.#pending.entries().next().value!;
      clearTimeout(timer);
      this.#pending.delete(oldest);
    }
    const dueAt = this.#now() + this.#settleDeadlineMs;
    this.#components.ledger.journal.keepJudgement({
      reserveId: reserve.id,
      reserve: encodeBlock(reserve),
      ack: ack ? encodeAck(ack) : null,
      dueAt,
    });
    this.#schedule(reserve, ack, dueAt);
  }

  #schedule(reserve: Block, ack: Ack | null, dueAt: number): void {
    const key = toHex(reserve.id);
    if (this.#pending.has(key)) return;
    const timer = setTimeout(
      () => {
        this.#pending.delete(key);
        this.#judge(reserve, ack);
      },
      Math.max(0, dueAt - this.#now()),
    );
    timer.unref();
    this.#pending.set(key, timer);
  }

  #judge(reserve: Block, ack: Ack | null): void {
    const { ledger } = this.#components;
    const requester = reserve.body.account;
    // Fewer tokens than one ack chunk leave no signed evidence: only this node's own record suffers.
    const finding = ack
      ? judgeNonSettlement(
          ledger.view,
          { reserve, ack },
          BigInt(this.#now()),
          BigInt(this.#settleDeadlineMs),
          this.#verify,
          nativeSha256,
        )
      : ledger.view.chain(requester)?.open.has(toHex(reserve.body.requestId)) === false
        ? ({ status: 'settled' } as const)
        : ({ status: 'unsettled', requester } as const);
    if (finding.status !== 'pending') ledger.journal.dropJudgement(reserve.id);
    switch (finding.status) {
      case 'settled':
        ledger.claimCredits();
        return;
      case 'fraud':
        ledger.receiveFraudProof(finding.proof);
        ledger.recordOutcome(requester, 'failed');
        this.safeDispatchEvent('settlement', { detail: { kind: 'fraud', requester: toHex(requester) } });
        return;
      case 'pending':
        // The ack is newer than the deadline allows for (a clock step): judge again later.
        this.#schedule(reserve, ack, this.#now() + this.#settleDeadlineMs);
        return;
      case 'unsettled':
        ledger.recordOutcome(requester, 'failed');
        this.safeDispatchEvent('settlement', { detail: { kind: 'unsettled', requester: toHex(requester) } });
        if (ack) this.safeDispatchEvent('report', { detail: { reserve, ack } });
        return;
      case 'invalid':
        return;
    }
  }
}

/** Weights per million of the work: the quote's shares (the worker alone when nothing else is known). */
const SHARE_UNITS = 1_000_000;

function sharesOf(shareholders: readonly Shareholder[], worker: Uint8Array): ShareTerm[] {
  const weights = new Map<string, { pk: Uint8Array; weight: bigint }>();
  for (const holder of shareholders.slice(0, MAX_SHARES)) {
    let pk: Uint8Array;
    try {
      const peer = peerIdFromString(holder.peerId);
      if (peer.type !== 'Ed25519') continue;
      pk = peer.publicKey.raw;
    } catch {
      continue;
    }
    const weight = BigInt(Math.round(Math.min(1, Math.max(0, holder.share)) * SHARE_UNITS));
    if (weight === 0n) continue;
    const key = toHex(pk);
    weights.set(key, { pk, weight: (weights.get(key)?.weight ?? 0n) + weight });
  }
  return weights.size > 0 ? [...weights.values()] : [{ pk: worker, weight: 1n }];
}
