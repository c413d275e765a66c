// The requester's side of one paid request, from its committed RESERVE to its SETTLE (DESIGN.md §4 steps
// 3–5). It bills what arrived, never what the worker claims (security finding 5): a token is a delta with
// text (an empty delta is no token, so a token is at least one byte), nothing past the reservation is counted
// or acknowledged, and a delta beyond it stops the request. Every ack is journaled before it leaves the node,
// so a restart settles at least what was acknowledged (finding 6). `settled` turns true only once a SETTLE is
// committed; when none can be made and nothing was acknowledged, the reservation is RELEASEd after it expires.
import { encodeBlock } from '../../../src-shared/ledger/block-codec.ts';
import { buildSettle } from '../../../src-shared/ledger/block-builders.ts';
import type { Block } from '../../../src-shared/ledger/block.ts';
import { bytesEqual, toHex } from '../../../src-shared/ledger/bytes.ts';
import type { SignatureVerifier } from '../../../src-shared/ledger/ed25519-strict.ts';
import { precheckEd25519 } from '../../../src-shared/ledger/ed25519-strict.ts';
import type { LedgerParams } from '../../../src-shared/ledger/ledger-params.ts';
import { createAck, encodeAck } from '../../../src-shared/ledger/payment/ack.ts';
import { OutputDigest } from '../../../src-shared/ledger/payment/output-digest.ts';
import type { Quote } from '../../../src-shared/ledger/payment/quote.ts';
import {
  coSignReceipt,
  createReceipt,
  decodeReceipt,
  encodeReceipt,
} from '../../../src-shared/ledger/payment/receipt.ts';
import type { ChatDeltaChunk } from '../../../src-shared/protocol/chat.ts';
import { deltaText, type RequestPayment } from '../routing/payments.ts';
import { PaymentError, ReceiptMismatchError, ReservationExceededError } from './errors.ts';
import type { LedgerService } from './ledger-service.ts';
import type { LedgerSigner } from './ledger-signer.ts';
import type { OwnBlockBuilder } from './own-commit-queue.ts';
import { nativeSha256 } from './native-crypto.ts';

export interface RequestPaymentSessionInit {
  readonly ledger: LedgerService;
  readonly signer: LedgerSigner;
  readonly params: LedgerParams;
  readonly verify: SignatureVerifier;
  readonly now: () => number;
  readonly quote: Quote;
  readonly workerKey: Uint8Array;
  /** The committed RESERVE. */
  readonly reserve: Block;
  /**
   * The most prompt tokens a receipt may claim: the network's count of the request, never above the quote's
   * (security finding 16). It is also what this requester pays for the prompt when it settles alone.
   */
  readonly billablePrompt: number;
  /** Called when no SETTLE could be made and nothing was acknowledged: RELEASE once the quote expired. */
  readonly releaseLater: (requestId: Uint8Array, expiresAt: bigint) => void;
}

/** Empty deltas (role-only, keep-alive) a worker may send beyond the billable ones before it is cut off. */
const FREE_DELTAS = 64;

export class RequestPaymentSession implements RequestPayment {
  readonly reserve: Uint8Array;
  readonly #init: RequestPaymentSessionInit;
  readonly #digest: OutputDigest;
  readonly #maxTokens: number;
  #deltas = 0;
  #acked = 0;
  #settled = false;
  /** A SETTLE of the worker's receipt is queued for the group commit. */
  #settling = false;

  constructor(init: RequestPaymentSessionInit) {
    this.#init = init;
    this.reserve = encodeBlock(init.reserve);
    this.#digest = new OutputDigest(init.params.ackEvery, nativeSha256);
    this.#maxTokens = init.quote.body.maxCompletionTokens;
  }

  /** Billable tokens received and counted (never above the reservation's completion tokens). */
  get tokens(): number {
    return this.#digest.count;
  }

  get settled(): boolean {
    return this.#settled;
  }

  received(deltas: readonly ChatDeltaChunk[]): Promise<Uint8Array> | null {
    const every = this.#init.params.ackEvery;
    let due = false;
    for (const delta of deltas) {
      this.#deltas++;
      const text = deltaText(delta);
      if (text.length > 0 && this.#digest.count >= this.#maxTokens)
        throw new ReservationExceededError(
          `the worker sent more than the ${this.#maxTokens} tokens reserved; the rest is refused`,
        );
      if (this.#deltas > 2 * this.#maxTokens + FREE_DELTAS)
        throw new ReservationExceededError('the worker sends deltas without text');
      if (this.#digest.push(text) && this.#digest.count % every === 0) due = true;
    }
    // Acks fall on multiples of ackEvery (where both sides fold the digest); a batch that crossed one and
    // went on is acknowledged at the next multiple or at the end.
    return due && this.#digest.count % every === 0 ? this.#ack() : null;
  }

  finalAck(): Promise<Uint8Array> | null {
    return this.#digest.count > this.#acked ? this.#ack() : null;
  }

  async settle(
    receiptBytes: Uint8Array,
  ): Promise<{ readonly receipt: Uint8Array; readonly block: Uint8Array }> {
    const { params, signer, workerKey, verify } = this.#init;
    const q = this.#init.quote.body;
    if (this.#settled || this.#settling) throw new PaymentError('this request is settled already');
    const receipt = decodeReceipt(receiptBytes, nativeSha256);
    if (receipt === null) throw new ReceiptMismatchError('the receipt does not decode');
    const r = receipt.body;
    if (
      !bytesEqual(r.net, params.networkId) ||
      !bytesEqual(r.requestId, q.requestId) ||
      !bytesEqual(r.reserveId, this.#init.reserve.id) ||
      !bytesEqual(r.requester, signer.publicKey) ||
      !bytesEqual(r.worker, workerKey)
    )
      throw new ReceiptMismatchError('the receipt is for another request');
    if (r.completionTokens !== this.#digest.count)
      throw new ReceiptMismatchError(
        `the receipt counts ${r.completionTokens} tokens, ${this.#digest.count} arrived`,
      );
    if (r.promptTokens > this.#init.billablePrompt)
      throw new ReceiptMismatchError(
        `the receipt claims ${r.promptTokens} prompt tokens; the network counts ${this.#init.billablePrompt}`,
      );
    if (!bytesEqual(r.outDigest, this.#digest.current()))
      throw new ReceiptMismatchError('the receipt names another output than arrived');
    if (!precheckEd25519(receipt.workerSig, workerKey) || !verify(receipt.workerSig, receipt.id, workerKey))
      throw new ReceiptMismatchError('the receipt is not signed by the worker');
    const cosigned = coSignReceipt(receipt, signer.sign);
    // Through the group commit: the SETTLEs of concurrent requests share one transaction and one fsync.
    this.#settling = true;
    let block: Block;
    try {
      block = await this.#init.ledger.append(
        this.#settleBuilder(receipt.id, r.promptTokens, r.completionTokens),
      );
    } finally {
      this.#settling = false;
    }
    this.#settledWith(block);
    this.#init.ledger.recordOutcome(workerKey, { settled: -block.body.amount });
    return { receipt: encodeReceipt(cosigned), block: encodeBlock(block) };
  }

  settleAlone(how: 'ended' | 'worker-failed'): void {
    // A SETTLE of the receipt waiting for its commit is not repeated alone.
    if (this.#settled || this.#settling) return;
    const { ledger, params, signer, workerKey } = this.#init;
    const q = this.#init.quote.body;
    const completion = this.#digest.count;
    // Nothing arrived: nothing is owed, and a SETTLE of zero frees the reservation at once.
    const prompt = completion === 0 ? 0 : this.#init.billablePrompt;
    const own = createReceipt(
      {
        net: params.networkId,
        requestId: q.requestId,
        reserveId: this.#init.reserve.id,
        requester: signer.publicKey,
        worker: workerKey,
        promptTokens: prompt,
        completionTokens: completion,
        outDigest: this.#digest.current(),
      },
      signer.sign,
      nativeSha256,
    );
    if (how === 'worker-failed') ledger.recordOutcome(workerKey, 'failed');
    try {
      this.#appendSettle(own.id, prompt, completion);
    } catch (error) {
      // A RELEASE after an ack would be fraud; without one it is the way to free the reservation. With acks
      // the reservation stays open and the next start settles it from the journal.
      if (this.#acked === 0) this.#init.releaseLater(q.requestId, q.expiresAt);
      throw error;
    }
  }

  #ack(): Promise<Uint8Array> {
    const { ledger, params, signer, now } = this.#init;
    const q = this.#init.quote.body;
    const n = this.#digest.count;
    const prompt = this.#init.billablePrompt;
    this.#acked = n;
    const ack = encodeAck(
      createAck(
        {
          net: params.networkId,
          requester: signer.publicKey,
          requestId: q.requestId,
          reserveId: this.#init.reserve.id,
          n,
          outDigest: this.#digest.current(),
          ts: BigInt(now()),
        },
        signer.sign,
        nativeSha256,
      ),
    );
    // Journaled before it leaves: a crash after sending must never settle below it (that would be fraud).
    // The row rides with the next group commit, so the acks of concurrent requests share one fsync.
    const durable = ledger
      .journalDurably((journal) => journal.recordAck(q.requestId, n, prompt))
      .then(() => ack);
    // Whoever sends the ack awaits this (and sees a failure); one dropped unsent must not go unhandled.
    durable.catch(() => undefined);
    return durable;
  }

  #appendSettle(receiptId: Uint8Array, promptTokens: number, completionTokens: number): Block {
    const block = this.#init.ledger.appendOwn(this.#settleBuilder(receiptId, promptTokens, completionTokens));
    this.#settledWith(block);
    return block;
  }

  #settleBuilder(receiptId: Uint8Array, promptTokens: number, completionTokens: number): OwnBlockBuilder {
    const { params, now } = this.#init;
    const requestId = this.#init.quote.body.requestId;
    return (state) => {
      const reservation = state?.open.get(toHex(requestId));
      if (!state || !reservation) throw new PaymentError('the reservation is no longer open');
      return buildSettle(
        params,
        state,
        BigInt(now()),
        reservation,
        requestId,
        receiptId,
        promptTokens,
        completionTokens,
      );
    };
  }

  #settledWith(block: Block): void {
    // Only a committed SETTLE makes the request settled (a refused one leaves it to settle alone or RELEASE).
    this.#settled = true;
    // With the next group commit: a row a crash leaves behind belongs to a closed reservation, which the
    // start-up settlement never looks at.
    const requestId = block.body.requestId;
    this.#init.ledger.deferJournal((journal) => journal.forgetAcks(requestId));
  }
}
