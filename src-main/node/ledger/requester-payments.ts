// The requester's side of paid requests (DESIGN.md §4 steps 2–5): admission before routing, the quote's
// check, the RESERVE (committed before it leaves the node), an ack every `ackEvery` tokens, the receipt's
// check and co-signature, and the SETTLE. A reply that ends without a receipt is settled alone for what
// arrived: a requester pays only for tokens it received, and never twice.
import { peerIdFromString } from '@libp2p/peer-id';
import { encodeBlock } from '../../../src-shared/ledger/block-codec.ts';
import { buildReserve, buildSettle } from '../../../src-shared/ledger/block-builders.ts';
import { bytesEqual, toHex } from '../../../src-shared/ledger/bytes.ts';
import { requestCost } from '../../../src-shared/ledger/economy.ts';
import type { LedgerParams } from '../../../src-shared/ledger/ledger-params.ts';
import { createAck, encodeAck } from '../../../src-shared/ledger/payment/ack.ts';
import { OutputDigest } from '../../../src-shared/ledger/payment/output-digest.ts';
import { decodeQuote, termsForQuote, verifyQuote } from '../../../src-shared/ledger/payment/quote.ts';
import {
  coSignReceipt,
  createReceipt,
  decodeReceipt,
  encodeReceipt,
} from '../../../src-shared/ledger/payment/receipt.ts';
import { precheckEd25519 } from '../../../src-shared/ledger/ed25519-strict.ts';
import type { ChatDeltaChunk, ChatRequest } from '../../../src-shared/protocol/chat.ts';
import { promptTokenBound, promptTokenEstimate } from '../../../src-shared/protocol/prompt-token-bound.ts';
import { deltaText, type RequestPayment, type RequesterPayments } from '../routing/payments.ts';
import { InsufficientBalanceError, PaymentError } from './errors.ts';
import type { LedgerService } from './ledger-service.ts';
import type { LedgerSigner } from './ledger-signer.ts';
import { createNativeVerifier, nativeSha256 } from './native-crypto.ts';
import { DEFAULT_MAX_COMPLETION_TOKENS } from './worker-payments.ts';

/** A worker's prompt bound may exceed ours by this much (its decoded copy of the request may differ a little). */
const PROMPT_BOUND_SLACK = 256;

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
  readonly #verify = createNativeVerifier();
  readonly #now: () => number;
  /** Reputation changes rarely and is asked for often (every worker choice, every gossip heartbeat). */
  #scores: { version: number; scores: Map<string, number> } | null = null;
  readonly #accounts = new Map<string, string>();

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
    const maxPrompt = promptTokenBound(request) + PROMPT_BOUND_SLACK;
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
    if (q.maxPromptTokens > promptTokenBound(request) + PROMPT_BOUND_SLACK)
      throw new PaymentError('the quote claims a longer prompt than the request has');
    // The worker alone, or the shard nodes of its instance: members of the cluster, nobody else.
    const payable = new Set([toHex(workerKey), ...worker.cluster.flatMap((peer) => accountHex(peer))]);
    if (q.shares.some((share) => !payable.has(toHex(share.pk))))
      throw new PaymentError('the quote pays someone outside the cluster');
    if (q.expiresAt <= BigInt(this.#now())) throw new PaymentError('the quote has expired');
    const terms = termsForQuote(params, quote);
    ledger.assertCanRequest(terms.maxCost);
    const reserve = ledger.appendOwn((state) => {
      if (!state) throw new InsufficientBalanceError('this node has no account yet');
      return buildReserve(params, state, BigInt(this.#now()), {
        requestId: q.requestId,
        worker: workerKey,
        maxPromptTokens: q.maxPromptTokens,
        maxCompletionTokens: q.maxCompletionTokens,
        terms,
      });
    });
    const digest = new OutputDigest(params.ackEvery, nativeSha256);
    const verify = this.#verify;
    let acked = 0;
    let settled = false;
    const ack = (): Uint8Array => {
      acked = digest.count;
      return encodeAck(
        createAck(
          {
            net: params.networkId,
            requester: signer.publicKey,
            requestId: q.requestId,
            reserveId: reserve.id,
            n: digest.count,
            outDigest: digest.current(),
            ts: BigInt(this.#now()),
          },
          signer.sign,
          nativeSha256,
        ),
      );
    };
    const appendSettle = (receiptId: Uint8Array, promptTokens: number, completionTokens: number) => {
      settled = true;
      return ledger.appendOwn((state) => {
        const reservation = state?.open.get(toHex(q.requestId));
        if (!state || !reservation) throw new PaymentError('the reservation is no longer open');
        return buildSettle(
          params,
          state,
          BigInt(this.#now()),
          reservation,
          q.requestId,
          receiptId,
          promptTokens,
          completionTokens,
        );
      });
    };
    return {
      reserve: encodeBlock(reserve),

      received(deltas: readonly ChatDeltaChunk[]) {
        let due = false;
        for (const delta of deltas) {
          digest.push(deltaText(delta));
          if (digest.count % params.ackEvery === 0) due = true;
        }
        // Acks fall on multiples of ackEvery (where both sides fold the digest); a batch that crossed one and
        // went on is acknowledged at the next multiple or at the end.
        return due && digest.count % params.ackEvery === 0 ? ack() : null;
      },

      finalAck() {
        return digest.count > acked ? ack() : null;
      },

      settle(receiptBytes) {
        if (settled) throw new PaymentError('this request is settled already');
        const receipt = decodeReceipt(receiptBytes, nativeSha256);
        if (receipt === null) throw new PaymentError('the receipt does not decode');
        const r = receipt.body;
        if (
          !bytesEqual(r.net, params.networkId) ||
          !bytesEqual(r.requestId, q.requestId) ||
          !bytesEqual(r.reserveId, reserve.id) ||
          !bytesEqual(r.requester, signer.publicKey) ||
          !bytesEqual(r.worker, workerKey)
        )
          throw new PaymentError('the receipt is for another request');
        if (r.completionTokens !== digest.count)
          throw new PaymentError(`the receipt counts ${r.completionTokens} tokens, ${digest.count} arrived`);
        if (r.promptTokens > q.maxPromptTokens)
          throw new PaymentError('the receipt’s prompt exceeds the quote');
        if (!bytesEqual(r.outDigest, digest.current()))
          throw new PaymentError('the receipt names another output than arrived');
        if (
          !precheckEd25519(receipt.workerSig, workerKey) ||
          !verify(receipt.workerSig, receipt.id, workerKey)
        )
          throw new PaymentError('the receipt is not signed by the worker');
        const cosigned = coSignReceipt(receipt, signer.sign);
        const block = appendSettle(receipt.id, r.promptTokens, r.completionTokens);
        ledger.recordOutcome(workerKey, { settled: -block.body.amount });
        return { receipt: encodeReceipt(cosigned), block: encodeBlock(block) };
      },

      settleAlone(how) {
        if (settled) return;
        const completion = digest.count;
        // Nothing arrived: nothing is owed, and a SETTLE of zero frees the reservation at once.
        const prompt = completion === 0 ? 0 : Math.min(promptTokenEstimate(request), q.maxPromptTokens);
        const own = createReceipt(
          {
            net: params.networkId,
            requestId: q.requestId,
            reserveId: reserve.id,
            requester: signer.publicKey,
            worker: workerKey,
            promptTokens: prompt,
            completionTokens: completion,
            outDigest: digest.current(),
          },
          signer.sign,
          nativeSha256,
        );
        appendSettle(own.id, prompt, completion);
        if (how === 'worker-failed') ledger.recordOutcome(workerKey, 'failed');
      },
    };
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
