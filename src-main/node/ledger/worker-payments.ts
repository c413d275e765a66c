// The worker's side of paid requests (DESIGN.md §4 steps 3–5, ref/ledger-design.md §4): quote, check the
// requester's RESERVE against its chain, count sent tokens against its signed acks (the allowance), sign the
// receipt, take the SETTLE and CREDIT it. A requester that goes away without settling is judged at the
// settle deadline from its own signed RESERVE and best ack: fraud (underpaid, released after acks) becomes a
// proof every node can check; plain non-payment costs it reputation here.
import { randomBytes } from 'node:crypto';
import { TypedEventEmitter } from 'main-event';
import { BlockKind, type Block } from '../../../src-shared/ledger/block.ts';
import { decodeBlock } from '../../../src-shared/ledger/block-codec.ts';
import { bytesEqual, toHex } from '../../../src-shared/ledger/bytes.ts';
import type { LedgerParams } from '../../../src-shared/ledger/ledger-params.ts';
import { AckWindow } from '../../../src-shared/ledger/payment/ack-window.ts';
import { decodeAck } from '../../../src-shared/ledger/payment/ack.ts';
import {
  judgeNonSettlement,
  type NonSettlementReport,
} from '../../../src-shared/ledger/payment/non-settlement.ts';
import { OutputDigest } from '../../../src-shared/ledger/payment/output-digest.ts';
import {
  checkReservation,
  createQuote,
  encodeQuote,
  termsForQuote,
  type Quote,
} from '../../../src-shared/ledger/payment/quote.ts';
import {
  createReceipt,
  decodeReceipt,
  verifyReceipt,
  type Receipt,
} from '../../../src-shared/ledger/payment/receipt.ts';
import { encodeReceipt } from '../../../src-shared/ledger/payment/receipt.ts';
import type { ChatDeltaChunk, ChatRequest } from '../../../src-shared/protocol/chat.ts';
import { promptTokenBound } from '../../../src-shared/protocol/prompt-token-bound.ts';
import { deltaText, type WorkPayment, type WorkerPayments } from '../routing/payments.ts';
import type { Shareholder } from '../routing/shard-shares.ts';
import { peerIdFromString } from '@libp2p/peer-id';
import { MAX_SHARES, type ShareTerm } from '../../../src-shared/ledger/reserve-terms.ts';
import { admission } from '../../../src-shared/ledger/economy.ts';
import type { LedgerService } from './ledger-service.ts';
import type { LedgerSigner } from './ledger-signer.ts';
import { createNativeVerifier, nativeSha256 } from './native-crypto.ts';

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
  readonly now?: () => number;
}

export type SettlementOutcome =
  | { readonly kind: 'settled'; readonly requester: string; readonly amount: bigint }
  | { readonly kind: 'unsettled'; readonly requester: string }
  | { readonly kind: 'fraud'; readonly requester: string };

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
  readonly #now: () => number;
  readonly #verify = createNativeVerifier();
  readonly #pending = new Map<string, ReturnType<typeof setTimeout>>();

  constructor(components: WorkerPaymentsComponents, init: WorkerPaymentsInit = {}) {
    super();
    this.#components = components;
    this.#quoteTtlMs = init.quoteTtlMs ?? 30_000;
    this.#settleDeadlineMs = init.settleDeadlineMs ?? 10 * 60_000;
    this.#maxPending = init.maxPendingJudgements ?? 1024;
    this.#now = init.now ?? Date.now;
  }

  /** Drops pending judgements (the node is stopping; the evidence is only in memory in phase 1). */
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
        maxPromptTokens: promptTokenBound(request),
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
    return { ok: true, payment: this.#payment(quote, requester.peer) };
  }

  #payment(quote: Quote, peer: string): WorkPayment {
    const { ledger, signer } = this.#components;
    const params = this.#components.params();
    const q = quote.body;
    const digest = new OutputDigest(params.ackEvery, nativeSha256);
    let reserve: Block | null = null;
    let window: AckWindow | null = null;
    let receipt: Receipt | null = null;
    let settled = false;
    const verify = this.#verify;
    const judgeLater = (): void => this.#judgeLater(reserve, window);
    const now = (): bigint => BigInt(this.#now());
    const pullAccount = this.#components.pullAccount;
    const announce = (detail: SettlementOutcome): void => {
      this.safeDispatchEvent('settlement', { detail });
    };
    return {
      quote: encodeQuote(quote),
      maxCompletionTokens: q.maxCompletionTokens,

      async acceptReserve(bytes, signal) {
        const block = decodeBlock(bytes, nativeSha256);
        if (block === null) return 'the RESERVE does not decode';
        if (block.body.kind !== BlockKind.RESERVE || !bytesEqual(block.body.account, q.requester))
          return 'not a RESERVE of the requester';
        let [verdict] = ledger.receive([block]);
        if (verdict!.status === 'partial') {
          // This node has not seen the requester's chain up to here: fetch it from the requester.
          await pullAccount(peer, q.requester, signal);
          [verdict] = ledger.receive([block]);
        }
        if (verdict!.status === 'invalid') return `the RESERVE is invalid: ${verdict!.reason}`;
        if (verdict!.status === 'partial') return 'the requester’s chain could not be fetched';
        if (verdict!.status === 'fork') return 'the RESERVE forks the requester’s chain';
        const problem = checkReservation(ledger.view, block, quote, now());
        if (problem) return problem;
        reserve = block;
        window = new AckWindow({
          networkId: params.networkId,
          requester: q.requester,
          requestId: q.requestId,
          reserveId: block.id,
          allowance: params.allowance,
          verify,
          hasher: nativeSha256,
        });
        return null;
      },

      get budget() {
        if (!window) return 0;
        return Math.min(window.budget, q.maxCompletionTokens - window.sent);
      },

      sent(delta: ChatDeltaChunk) {
        if (!window) throw new RangeError('nothing may be sent before the RESERVE is accepted');
        window.onSent(1);
        digest.push(deltaText(delta));
      },

      acknowledge(bytes) {
        if (!window) return 'an ack before the RESERVE';
        const ack = decodeAck(bytes);
        if (ack === null) return 'the ack does not decode';
        const rejection = window.onAck(ack);
        // A stale or repeated ack is harmless (a frame reordered behind a newer one cannot happen on one stream,
        // but an old ack resent is no offence); a forged or foreign one is.
        if (rejection === 'not-increasing') return null;
        return rejection === null ? null : `the ack is ${rejection}`;
      },

      receipt(promptTokens) {
        if (!window || !reserve) throw new RangeError('no receipt before the RESERVE is accepted');
        receipt = createReceipt(
          {
            net: params.networkId,
            requestId: q.requestId,
            reserveId: reserve.id,
            requester: q.requester,
            worker: signer.publicKey,
            promptTokens: Math.min(Math.max(0, promptTokens), q.maxPromptTokens),
            completionTokens: window.sent,
            outDigest: digest.current(),
          },
          signer.sign,
          nativeSha256,
        );
        return encodeReceipt(receipt);
      },

      async settle(receiptBytes, blockBytes) {
        await Promise.resolve();
        if (!receipt || !reserve) return 'a SETTLE before the receipt';
        const cosigned = decodeReceipt(receiptBytes, nativeSha256);
        if (cosigned === null || !bytesEqual(cosigned.bodyBytes, receipt.bodyBytes))
          return 'the co-signed receipt is not the one this node signed';
        if (!verifyReceipt(cosigned, params.networkId, verify)) return 'the receipt is not co-signed';
        const block = decodeBlock(blockBytes, nativeSha256);
        if (block === null) return 'the SETTLE does not decode';
        const b = block.body;
        if (
          b.kind !== BlockKind.SETTLE ||
          !bytesEqual(b.account, q.requester) ||
          !bytesEqual(b.requestId, q.requestId) ||
          !bytesEqual(b.linkId, cosigned.id) ||
          b.completionTokens !== cosigned.body.completionTokens ||
          b.promptTokens !== cosigned.body.promptTokens
        )
          return 'the SETTLE does not pay this receipt';
        const [verdict] = ledger.receive([block]);
        if (verdict!.status !== 'valid' && verdict!.status !== 'duplicate')
          return `the SETTLE is ${verdict!.status === 'invalid' ? `invalid: ${verdict!.reason}` : verdict!.status}`;
        settled = true;
        ledger.claimCredits();
        const amount = -b.amount;
        ledger.recordOutcome(q.requester, { settled: amount });
        announce({ kind: 'settled', requester: toHex(q.requester), amount });
        return null;
      },

      unsettled() {
        if (!settled && reserve && window && window.sent > 0) judgeLater();
      },
    };
  }

  /** At the deadline, judge the requester by its own signed RESERVE and best ack. */
  #judgeLater(reserve: Block | null, window: AckWindow | null): void {
    if (!reserve || !window) return;
    const key = toHex(reserve.id);
    if (this.#pending.has(key)) return;
    if (this.#pending.size >= this.#maxPending) {
      const [oldest, timer] = this.#pending.entries().next().value!;
      clearTimeout(timer);
      this.#pending.delete(oldest);
    }
    const timer = setTimeout(() => {
      this.#pending.delete(key);
      this.#judge(reserve, window);
    }, this.#settleDeadlineMs);
    timer.unref();
    this.#pending.set(key, timer);
  }

  #judge(reserve: Block, window: AckWindow): void {
    const { ledger } = this.#components;
    const requester = reserve.body.account;
    const ack = window.bestAck;
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
    switch (finding.status) {
      case 'settled':
        ledger.claimCredits();
        return;
      case 'fraud':
        ledger.receiveFraudProof(finding.proof);
        ledger.recordOutcome(requester, 'failed');
        this.safeDispatchEvent('settlement', { detail: { kind: 'fraud', requester: toHex(requester) } });
        return;
      case 'unsettled':
      case 'pending':
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
