// The worker's side of one paid request (DESIGN.md §4 steps 3–5): check the requester's RESERVE against its
// chain, count sent tokens against its signed acks (the allowance), sign the receipt, take the SETTLE. A token
// is a delta with text, counted the way the requester counts it (output-digest.ts): empty deltas are free.
import { BlockKind, type Block } from '../../../src-shared/ledger/block.ts';
import { decodeBlock } from '../../../src-shared/ledger/block-codec.ts';
import { bytesEqual, toHex } from '../../../src-shared/ledger/bytes.ts';
import type { SignatureVerifier } from '../../../src-shared/ledger/ed25519-strict.ts';
import type { LedgerParams } from '../../../src-shared/ledger/ledger-params.ts';
import { AckWindow } from '../../../src-shared/ledger/payment/ack-window.ts';
import { decodeAck } from '../../../src-shared/ledger/payment/ack.ts';
import { OutputDigest } from '../../../src-shared/ledger/payment/output-digest.ts';
import { checkReservation, encodeQuote, type Quote } from '../../../src-shared/ledger/payment/quote.ts';
import {
  createReceipt,
  decodeReceipt,
  encodeReceipt,
  verifyReceipt,
  type Receipt,
} from '../../../src-shared/ledger/payment/receipt.ts';
import type { ChatDeltaChunk } from '../../../src-shared/protocol/chat.ts';
import { deltaText, type PaymentProblem, type WorkPayment } from '../routing/payments.ts';
import { NothingToReceiptError } from './errors.ts';
import type { LedgerService } from './ledger-service.ts';
import type { LedgerSigner } from './ledger-signer.ts';
import { nativeSha256 } from './native-crypto.ts';
import type { SettlementOutcome } from './settlement-outcome.ts';

export interface WorkPaymentSessionInit {
  readonly ledger: LedgerService;
  readonly signer: LedgerSigner;
  readonly params: LedgerParams;
  readonly verify: SignatureVerifier;
  readonly now: () => number;
  readonly quote: Quote;
  /**
   * The most prompt tokens the receipt may claim: the network's count of the request (security finding 16),
   * never above the quote's. The engine's own count is claimed when it is lower.
   */
  readonly billablePrompt: number;
  /** Where to pull the requester's chain from. */
  readonly peer: string;
  readonly pullAccount: (peer: string, account: Uint8Array, signal: AbortSignal) => Promise<unknown>;
  readonly announce: (outcome: SettlementOutcome) => void;
  /** The requester went away unsettled after tokens were sent: judge it at the deadline. */
  readonly judgeLater: (reserve: Block, window: AckWindow) => void;
  /**
   * The evidence against the requester, journaled as it arrives (its RESERVE, then each newer ack) and
   * dropped when it settles or nothing was sent: a worker that crashes mid-stream judges it after restart.
   */
  readonly evidence: WorkEvidence;
}

export interface WorkEvidence {
  reserved(reserve: Block): void;
  acked(reserveId: Uint8Array, ack: Uint8Array): void;
  closed(reserveId: Uint8Array): void;
}

export class WorkPaymentSession implements WorkPayment {
  readonly quote: Uint8Array;
  readonly maxCompletionTokens: number;
  readonly #init: WorkPaymentSessionInit;
  readonly #digest: OutputDigest;
  #reserve: Block | null = null;
  #window: AckWindow | null = null;
  #receipt: Receipt | null = null;
  #settled = false;

  constructor(init: WorkPaymentSessionInit) {
    this.#init = init;
    this.quote = encodeQuote(init.quote);
    this.maxCompletionTokens = init.quote.body.maxCompletionTokens;
    this.#digest = new OutputDigest(init.params.ackEvery, nativeSha256);
  }

  async acceptReserve(bytes: Uint8Array, signal: AbortSignal): Promise<PaymentProblem | null> {
    const { ledger, params } = this.#init;
    const q = this.#init.quote.body;
    const block = decodeBlock(bytes, nativeSha256);
    if (block === null) return 'the RESERVE does not decode';
    if (block.body.kind !== BlockKind.RESERVE || !bytesEqual(block.body.account, q.requester))
      return 'not a RESERVE of the requester';
    // Checked and applied in memory now, stored with the next group commit (not an fsync before the engine
    // starts): the requester's block is its own promise, durable on its side before it was sent.
    let [verdict] = ledger.receiveDeferred([block]);
    if (verdict!.status === 'partial') {
      // This node has not seen the requester's chain up to here: fetch it from the requester.
      await this.#init.pullAccount(this.#init.peer, q.requester, signal);
      [verdict] = ledger.receiveDeferred([block]);
    }
    if (verdict!.status === 'invalid') return `the RESERVE is invalid: ${verdict!.reason}`;
    if (verdict!.status === 'partial') return 'the requester’s chain could not be fetched';
    if (verdict!.status === 'fork') return 'the RESERVE forks the requester’s chain';
    const problem = checkReservation(ledger.view, block, this.#init.quote, BigInt(this.#init.now()));
    if (problem) return problem;
    this.#reserve = block;
    this.#init.evidence.reserved(block);
    this.#window = new AckWindow({
      networkId: params.networkId,
      requester: q.requester,
      requestId: q.requestId,
      reserveId: block.id,
      allowance: params.allowance,
      verify: this.#init.verify,
      hasher: nativeSha256,
    });
    return null;
  }

  get budget(): number {
    if (!this.#window) return 0;
    return Math.min(this.#window.budget, this.maxCompletionTokens - this.#window.sent);
  }

  sent(delta: ChatDeltaChunk): void {
    if (!this.#window) throw new NothingToReceiptError('nothing may be sent before the RESERVE is accepted');
    if (this.#digest.push(deltaText(delta))) this.#window.onSent(1);
  }

  acknowledge(bytes: Uint8Array): PaymentProblem | null {
    if (!this.#window) return 'an ack before the RESERVE';
    const ack = decodeAck(bytes);
    if (ack === null) return 'the ack does not decode';
    const rejection = this.#window.onAck(ack);
    // A stale or repeated ack is harmless (a frame reordered behind a newer one cannot happen on one stream,
    // but an old ack resent is no offence); a forged or foreign one is.
    if (rejection === 'not-increasing') return null;
    if (rejection !== null) return `the ack is ${rejection}`;
    this.#init.evidence.acked(this.#reserve!.id, bytes);
    return null;
  }

  receipt(promptTokens: number): Uint8Array {
    const { params, signer } = this.#init;
    const q = this.#init.quote.body;
    if (!this.#window || !this.#reserve)
      throw new NothingToReceiptError('no receipt before the RESERVE is accepted');
    this.#receipt = createReceipt(
      {
        net: params.networkId,
        requestId: q.requestId,
        reserveId: this.#reserve.id,
        requester: q.requester,
        worker: signer.publicKey,
        promptTokens: Math.min(Math.max(0, promptTokens), this.#init.billablePrompt),
        completionTokens: this.#window.sent,
        outDigest: this.#digest.current(),
      },
      signer.sign,
      nativeSha256,
    );
    return encodeReceipt(this.#receipt);
  }

  async settle(receiptBytes: Uint8Array, blockBytes: Uint8Array): Promise<PaymentProblem | null> {
    await Promise.resolve();
    const { ledger, params } = this.#init;
    const q = this.#init.quote.body;
    if (!this.#receipt || !this.#reserve) return 'a SETTLE before the receipt';
    const cosigned = decodeReceipt(receiptBytes, nativeSha256);
    if (cosigned === null || !bytesEqual(cosigned.bodyBytes, this.#receipt.bodyBytes))
      return 'the co-signed receipt is not the one this node signed';
    if (!verifyReceipt(cosigned, params.networkId, this.#init.verify)) return 'the receipt is not co-signed';
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
    // Stored with the CREDIT's commit below (deferred writes run first in its transaction).
    const [verdict] = ledger.receiveDeferred([block]);
    if (verdict!.status !== 'valid' && verdict!.status !== 'duplicate')
      return `the SETTLE is ${verdict!.status === 'invalid' ? `invalid: ${verdict!.reason}` : verdict!.status}`;
    this.#settled = true;
    this.#init.evidence.closed(this.#reserve.id);
    await ledger.claimCreditsQueued();
    const amount = -b.amount;
    ledger.recordOutcome(q.requester, { settled: amount });
    this.#init.announce({ kind: 'settled', requester: toHex(q.requester), amount });
    return null;
  }

  unsettled(): void {
    if (this.#settled || !this.#reserve || !this.#window) return;
    if (this.#window.sent > 0) this.#init.judgeLater(this.#reserve, this.#window);
    else this.#init.evidence.closed(this.#reserve.id);
  }
}
