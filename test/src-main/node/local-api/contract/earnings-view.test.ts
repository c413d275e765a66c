// The Earnings page's numbers from a real ledger: chains built and validated like a node does (signed
// blocks received into a LedgerView), then read through earnings-view as the contract does.
import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import { describe, expect, it } from 'vitest';
import {
  balanceOf,
  contractMicro,
  earningsOf,
  sampledSeqs,
} from '../../../../../src-main/node/local-api/contract/earnings-view.ts';
import { shortPeerId } from '../../../../../src-main/node/local-api/contract/node-views.ts';
import { earningsSchema, balanceSchema } from '../../../../../src-shared/ipc/index.ts';
import { buildReserve, reserveTermsFor } from '../../../../../src-shared/ledger/block-builders.ts';
import { MICRO_PER_TOKEN } from '../../../../../src-shared/ledger/ledger-params.ts';
import { formatTokens } from '../../../../../src-shared/ledger/token-amount.ts';
import {
  appendValid,
  newView,
  openAccount,
  paidRequest,
  requestIdOf,
  T0,
  testAccount,
  testParams,
  type TestAccount,
} from '../../../../src-shared/ledger/ledger-fixtures.ts';

const requester = testAccount(1);
const worker = testAccount(2);
const MINIMUM = 1_000n * MICRO_PER_TOKEN;
const MODELS: Record<string, string> = { 'model-a': 'llama-3.1-8b', 'model-b': 'mistral-7b' };
const modelOf = (tier: string): string | null => MODELS[tier] ?? null;

function label(account: TestAccount): string {
  return shortPeerId(peerIdFromPublicKey(publicKeyFromRaw(account.pk)).toString());
}

/** A network where `requester` holds 10,000 tokens and paid `worker` for two chats. */
function ledgerWithTwoChats() {
  const view = newView(testParams([{ account: requester, tokens: 10_000n }]));
  openAccount(view, requester);
  openAccount(view, worker);
  const workers = [{ account: worker, weight: 1n }];
  const first = paidRequest(view, requester, workers, 1, {
    maxPrompt: 50,
    maxCompletion: 100,
    prompt: 12,
    completion: 40,
  });
  const second = paidRequest(
    view,
    requester,
    workers,
    2,
    { maxPrompt: 50, maxCompletion: 100, prompt: 30, completion: 70 },
    'model-b',
  );
  return { view, first, second };
}

describe('balanceOf', () => {
  it('is the ledger’s balance in micro-tokens: what was spent leaves the payer, what was earned reaches the worker', () => {
    const { view, first, second } = ledgerWithTwoChats();
    const cost1 = -first.settle.body.amount;
    const cost2 = -second.settle.body.amount;
    // model-a: 1,000 µT per unit, completion weighted ×2 → (12 + 80) units; model-b: 3,000 µT × (30 + 210).
    expect(cost1).toBe(92_000n);
    expect(cost2).toBe(720_000n);

    const paid = balanceOf(view, requester.pk, MINIMUM)!;
    expect(paid).toEqual({
      available: Number(10_000n * MICRO_PER_TOKEN - cost1 - cost2),
      reserved: 0,
      heldAhead: 0,
      earned: 0,
      spent: Number(cost1 + cost2),
      minimumToRequest: 1_000_000_000,
    });
    expect(formatTokens(BigInt(paid.available))).toBe('9,999.188');
    expect(balanceOf(view, worker.pk, MINIMUM)).toMatchObject({
      available: Number(cost1 + cost2),
      earned: Number(cost1 + cost2),
      spent: 0,
    });
    expect(() => balanceSchema.parse(paid)).not.toThrow();
  });

  it('holds back what a running request reserved', () => {
    const view = newView(testParams([{ account: requester, tokens: 10_000n }]));
    openAccount(view, requester);
    openAccount(view, worker);
    const terms = reserveTermsFor(
      view.params,
      'model-a',
      new Uint8Array(32).fill(9),
      [{ pk: worker.pk, weight: 1n }],
      100,
      200,
      T0 + 30_000n,
    );
    appendValid(
      view,
      requester,
      buildReserve(view.params, view.chain(requester.pk)!, T0, {
        requestId: requestIdOf(requester, 9),
        worker: worker.pk,
        maxPromptTokens: 100,
        maxCompletionTokens: 200,
        terms,
      }),
    );
    expect(terms.maxCost).toBe(500_000n);
    expect(balanceOf(view, requester.pk, MINIMUM)).toMatchObject({
      available: Number(10_000n * MICRO_PER_TOKEN - 500_000n),
      reserved: 500_000,
      heldAhead: 0,
      spent: 0,
    });
    // The same reservation held ahead of its request (issue 17): still the user's, shown apart.
    expect(balanceOf(view, requester.pk, MINIMUM, terms.maxCost)).toMatchObject({
      available: Number(10_000n * MICRO_PER_TOKEN),
      reserved: 0,
      heldAhead: 500_000,
    });
  });

  it('is not known (not 0, not the genesis amount) before the account’s OPEN is in the ledger', () => {
    const view = newView(testParams([{ account: requester, tokens: 10_000n }]));
    expect(balanceOf(view, requester.pk, MINIMUM)).toBeNull();
    openAccount(view, requester);
    expect(balanceOf(view, requester.pk, MINIMUM)?.available).toBe(10_000_000_000);
  });
});

describe('earningsOf', () => {
  it('lists the payer’s chats newest first with tier, model, tokens and the worker that answered', () => {
    const { view, first, second } = ledgerWithTwoChats();
    const earnings = earningsOf(view, requester.pk, { limit: 10, modelOf })!;
    expect(earnings.recent).toEqual([
      {
        id: Buffer.from(second.settle.id).toString('hex'),
        at: Number(T0),
        direction: 'spent',
        amount: 720_000,
        tier: 'model-b',
        model: 'mistral-7b',
        tokens: 100,
        counterparty: label(worker),
      },
      {
        id: Buffer.from(first.settle.id).toString('hex'),
        at: Number(T0),
        direction: 'spent',
        amount: 92_000,
        tier: 'model-a',
        model: 'llama-3.1-8b',
        tokens: 52,
        counterparty: label(worker),
      },
    ]);
    expect(() => earningsSchema.parse(earnings)).not.toThrow();
  });

  it('lists what the worker earned, with the payer and the request’s tier from the payer’s RESERVE', () => {
    const { view, first, second } = ledgerWithTwoChats();
    const recent = earningsOf(view, worker.pk, { limit: 10, modelOf })!.recent;
    expect(recent.map((entry) => [entry.direction, entry.amount, entry.tier, entry.tokens])).toEqual([
      ['earned', 720_000, 'model-b', 100],
      ['earned', 92_000, 'model-a', 52],
    ]);
    expect(recent[0]?.id).toBe(Buffer.from(second.credits[0]!.id).toString('hex'));
    expect(recent[1]?.id).toBe(Buffer.from(first.credits[0]!.id).toString('hex'));
    expect(recent.every((entry) => entry.counterparty === label(requester))).toBe(true);
  });

  it('gives the chart the balance after every block, oldest first', () => {
    const { view } = ledgerWithTwoChats();
    const series = earningsOf(view, requester.pk, { limit: 10, modelOf })!.series;
    // OPEN, RESERVE, SETTLE, RESERVE, SETTLE: a reservation does not change the balance.
    expect(series.map((point) => point.balance)).toEqual([
      10_000_000_000, 10_000_000_000, 9_999_908_000, 9_999_908_000, 9_999_188_000,
    ]);
    const balance = balanceOf(view, requester.pk, MINIMUM)!;
    expect(series.at(-1)?.balance).toBe(balance.available + balance.reserved);
  });

  it('returns only as many entries as asked for', () => {
    const { view } = ledgerWithTwoChats();
    const recent = earningsOf(view, requester.pk, { limit: 1, modelOf })!.recent;
    expect(recent).toHaveLength(1);
    expect(recent[0]?.tier).toBe('model-b');
  });

  it('shows no tier for terms naming something that is not a tier id (another node’s chain is untrusted)', () => {
    const params = testParams([{ account: requester, tokens: 10_000n }], {
      prices: { 'Not A Tier!': { pricePerUnit: 1_000n, promptWeight: 1n, completionWeight: 1n } },
    });
    const view = newView(params);
    openAccount(view, requester);
    openAccount(view, worker);
    paidRequest(
      view,
      requester,
      [{ account: worker, weight: 1n }],
      1,
      { maxPrompt: 10, maxCompletion: 10, prompt: 5, completion: 5 },
      'Not A Tier!',
    );
    const recent = earningsOf(view, worker.pk, { limit: 5, modelOf })!.recent;
    expect(recent).toEqual([expect.objectContaining({ tier: null, model: null, amount: 10_000 })]);
    expect(() => earningsSchema.parse({ series: [], recent })).not.toThrow();
  });

  it('is not known for an account without a chain, and only the OPEN right after it opened', () => {
    const view = newView(testParams([{ account: requester, tokens: 10_000n }]));
    expect(earningsOf(view, worker.pk, { limit: 10, modelOf })).toBeNull();
    openAccount(view, worker);
    expect(earningsOf(view, worker.pk, { limit: 10, modelOf })).toEqual({
      series: [{ at: Number(T0), balance: 0 }],
      recent: [],
    });
  });
});

describe('sampledSeqs', () => {
  it('keeps every block of a short chain', () => {
    expect(sampledSeqs(4, 1000)).toEqual([1, 2, 3, 4]);
    expect(sampledSeqs(0, 1000)).toEqual([]);
  });

  it('samples a long chain evenly, always with the OPEN and the head', () => {
    const seqs = sampledSeqs(25_001, 1000);
    expect(seqs).toHaveLength(1000);
    expect(seqs[0]).toBe(1);
    expect(seqs.at(-1)).toBe(25_001);
    for (let index = 1; index < seqs.length; index++) {
      const step = seqs[index]! - seqs[index - 1]!;
      expect(step).toBeGreaterThanOrEqual(25);
      expect(step).toBeLessThanOrEqual(26);
    }
  });
});

describe('contractMicro', () => {
  it('carries µT exactly, and refuses what a number cannot hold exactly', () => {
    expect(contractMicro(-1_234_567_890n)).toBe(-1_234_567_890);
    expect(() => contractMicro(2n ** 53n)).toThrow(RangeError);
  });
});
