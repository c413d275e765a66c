// Security finding 16, performed against real libp2p nodes with real ledgers (SQLite): a worker that bills an
// English prompt at the old byte bound (UTF-8 bytes of the request's JSON + 64, about 4× and more the real
// prompt) by its receipt, or by its quote. The network's count of the prompt is all it can be paid.
import { afterEach, describe, expect, it } from 'vitest';
import { BlockKind } from '../../../../src-shared/ledger/block.ts';
import { requestCost } from '../../../../src-shared/ledger/economy.ts';
import { MICRO_PER_TOKEN } from '../../../../src-shared/ledger/ledger-params.ts';
import { createQuote, decodeQuote, encodeQuote } from '../../../../src-shared/ledger/payment/quote.ts';
import {
  createReceipt,
  decodeReceipt,
  encodeReceipt,
} from '../../../../src-shared/ledger/payment/receipt.ts';
import type { ChatRequest } from '../../../../src-shared/protocol/chat.ts';
import { promptTokenCount } from '../../../../src-shared/protocol/prompt-token-count.ts';
import { utf8Length } from '../../../../src-shared/protocol/utf8.ts';
import { signerFromIdentity } from '../../../../src-main/node/ledger/ledger-signer.ts';
import { nativeSha256 } from '../../../../src-main/node/ledger/native-crypto.ts';
import { waitFor } from '../p2p/loopback-network.ts';
import { collect, dialledPair, fundedAccounts, requesterOf, runCleanup, TIER } from './paid-network-kit.ts';
import { bentSession, hostileWorker } from './hostile-payments.ts';
import { ScriptedEngineDouble, wordDeltas } from './scripted-engine.ts';

afterEach(runCleanup);

const ENGLISH: ChatRequest = {
  messages: [
    { role: 'system', content: 'You are a careful assistant. Answer in plain English and keep it short.' },
    {
      role: 'user',
      content:
        'A payment system that people trust with their earnings cannot lose or invent tokens. Explain in a few ' +
        'sentences why a worker should be paid only for what the requester received, and how both sides can ' +
        'count it the same way without trusting each other.',
    },
  ],
  max_tokens: 40,
};

/** What the worker could claim before: the bytes of the request's JSON and the template allowance. */
function byteBound(request: ChatRequest): number {
  return utf8Length(JSON.stringify({ messages: request.messages, tools: request.tools ?? [] })) + 64;
}

describe('prompt over-billing (finding 16)', () => {
  it('pays a worker whose receipt claims the byte bound for an English prompt only the network’s count', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    const workerSign = signerFromIdentity(keyW).sign;
    const claimed = byteBound(ENGLISH);
    // The worker signs a receipt of its own that claims the byte bound as the prompt (the real session
    // would cap it at the network's count).
    const { r, w } = await dialledPair(params, keyR, keyW, {
      worker: { settleWaitMs: 300 },
      payments: { settleDeadlineMs: 1_500 },
      workerPaymentsAs: hostileWorker((s) =>
        bentSession(s, {
          receipt: (prompt) => {
            const honest = decodeReceipt(s.receipt(prompt), nativeSha256)!;
            return encodeReceipt(
              createReceipt({ ...honest.body, promptTokens: claimed }, workerSign, nativeSha256),
            );
          },
        }),
      ),
    });
    // Its engine says the prompt was as long as the bound.
    w.engine = new ScriptedEngineDouble(wordDeltas(10), 10, claimed);
    const total = (): bigint =>
      w.ledger.view.balanceOf(r.ledger.account) + w.ledger.view.balanceOf(w.ledger.account);

    const { text } = await collect(requesterOf(r, [w]).chat(TIER, ENGLISH));
    expect(text.split(' ')).toHaveLength(11);
    const counted = promptTokenCount(ENGLISH);
    // The byte bound was more than four times what the network counts for this prompt.
    expect(claimed).toBeGreaterThan(4 * counted);

    // The requester refused the receipt and settled alone for the network's count and the tokens received.
    const settle = r.ledger.view.blockAt(r.ledger.account, 3n)!;
    expect(settle.body.kind).toBe(BlockKind.SETTLE);
    expect(settle.body.promptTokens).toBe(counted);
    expect(settle.body.completionTokens).toBe(10);
    const price = params.prices[TIER]!;
    expect(-settle.body.amount).toBe(requestCost(price, counted, 10));
    expect(r.ledger.view.chain(r.ledger.account)!.reserved).toBe(0n);

    // The worker judges the requester settled once it sees that SETTLE, and claims exactly that much.
    w.ledger.receive([settle]);
    const paid = 1_000n * MICRO_PER_TOKEN + requestCost(price, counted, 10);
    await waitFor(
      'the worker claimed its pay',
      () => w.ledger.view.balanceOf(w.ledger.account) === paid,
      10_000,
    );
    expect(w.ledger.view.balanceOf(r.ledger.account)).toBe(
      5_000n * MICRO_PER_TOKEN - requestCost(price, counted, 10),
    );
    // Conservation: what the requester paid is what the worker earned, to the µT.
    expect(total()).toBe(6_000n * MICRO_PER_TOKEN);
    expect(w.reports).toEqual([]);
  }, 60_000);

  it('refuses a quote that claims the byte bound: nothing is reserved, nothing paid', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    const workerSign = signerFromIdentity(keyW).sign;
    const claimed = byteBound(ENGLISH);
    const { r, w } = await dialledPair(params, keyR, keyW, {
      workerPaymentsAs: hostileWorker((s) => {
        const honest = decodeQuote(s.quote, nativeSha256)!;
        const inflated = encodeQuote(
          createQuote({ ...honest.body, maxPromptTokens: claimed }, workerSign, nativeSha256),
        );
        return bentSession(s, {
          get quote() {
            return inflated;
          },
        });
      }),
    });
    w.engine = new ScriptedEngineDouble(wordDeltas(10));
    const served: string[] = [];
    w.worker.addEventListener('request', (event) => served.push(event.detail.outcome));

    const error = await collect(requesterOf(r, [w]).chat(TIER, ENGLISH)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(String((error as Error).message)).toMatch(/network counts/);
    // Only the OPEN: no RESERVE was made, no balance moved, no engine ran.
    expect(r.ledger.view.chain(r.ledger.account)!.ids).toHaveLength(1);
    expect(r.ledger.view.balanceOf(r.ledger.account)).toBe(5_000n * MICRO_PER_TOKEN);
    expect(w.ledger.view.balanceOf(w.ledger.account)).toBe(1_000n * MICRO_PER_TOKEN);
    expect(served.every((outcome) => outcome !== 'completed')).toBe(true);
  }, 60_000);
});
