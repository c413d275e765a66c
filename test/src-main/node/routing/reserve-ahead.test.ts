// Reserving an offered quote ahead (issue 17: no fsync before a paid request's first frame), between real
// libp2p nodes with real ledgers (SQLite): the quote a reply's end offers is reserved at once, the next request
// sends that RESERVE (committed before it was ever sent), and a held reservation nobody uses is settled at zero.
import { multiaddr } from '@multiformats/multiaddr';
import { afterEach, describe, expect, it } from 'vitest';
import { bytesEqual } from '../../../../src-shared/ledger/bytes.ts';
import { BlockKind } from '../../../../src-shared/ledger/block.ts';
import { formatTokens } from '../../../../src-shared/ledger/token-amount.ts';
import { LedgerStore } from '../../../../src-main/node/ledger/ledger-store.ts';
import { nativeSha256 } from '../../../../src-main/node/ledger/native-crypto.ts';
import type { LedgerWorkerPayments } from '../../../../src-main/node/ledger/worker-payments.ts';
import { InferRequester } from '../../../../src-main/node/routing/infer-requester.ts';
import type { WorkerPayments } from '../../../../src-main/node/routing/payments.ts';
import type { ClusterDirectory } from '../../../../src-main/node/routing/cluster-directory.ts';
import { promptTokenCount } from '../../../../src-shared/protocol/prompt-token-count.ts';
import { waitFor } from '../p2p/loopback-network.ts';
import {
  ASK,
  cleanup,
  collect,
  dialledPair,
  directoryOf,
  fundedAccounts,
  paidNode,
  PRICE,
  runCleanup,
  TIER,
  type PaidNode,
} from '../ledger/paid-network-kit.ts';
import { ScriptedEngineDouble, wordDeltas } from '../ledger/scripted-engine.ts';

afterEach(runCleanup);

interface Counts {
  quotes: number;
  taken: number;
}

function counting(counts: Counts) {
  return (real: LedgerWorkerPayments): WorkerPayments => ({
    checkPayer: (requester, signal) => real.checkPayer(requester, signal),
    knowsAccount: (account) => real.knowsAccount(account),
    quote: (requester, tier, request, shareholders) => {
      counts.quotes++;
      return real.quote(requester, tier, request, shareholders);
    },
    offerNext: (requester, tier, request, shareholders, limit) =>
      real.offerNext(requester, tier, request, shareholders, limit),
    takeOffered: (requester, tier, request, reserve) => {
      const payment = real.takeOffered(requester, tier, request, reserve);
      if (payment) counts.taken++;
      return payment;
    },
  });
}

function aheadRequester(r: PaidNode, w: PaidNode, offeredQuoteMs = 20_000) {
  return new InferRequester(
    { dialer: r.p2p.libp2p, directory: directoryOf([w]), payments: r.requesterPayments },
    { admitTimeoutMs: 5_000, idleTimeoutMs: 10_000, spareStreamMs: 0, reserveAhead: true, offeredQuoteMs },
  );
}

/** The requester's own blocks as the SQLite file has them (a second, read-only connection). */
function storedKinds(r: PaidNode): number[] {
  const opened = LedgerStore.openReadOnly(r.dbPath, nativeSha256);
  if (!opened) throw new Error('no ledger file');
  try {
    return opened.store.chainOf(r.ledger.account).map((block) => block.body.kind);
  } finally {
    opened.store.close();
  }
}

/** The ledger's text of an amount ("9,999.5") as µT. */
function micro(text: string): bigint {
  const [whole = '0', fraction = ''] = text.replaceAll(',', '').split('.');
  return BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
}

function newestKinds(r: PaidNode, n: number): string[] {
  return r.ledger
    .history(n)
    .map((entry) => entry.kind)
    .slice(0, n);
}

describe('reserving an offered quote ahead', () => {
  it('reserves the offer at once; the next request sends that committed RESERVE and pays the same', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    const counts: Counts = { quotes: 0, taken: 0 };
    const { r, w } = await dialledPair(params, keyR, keyW, { workerPaymentsAs: counting(counts) });
    w.engine = new ScriptedEngineDouble(wordDeltas(40));
    const before = r.ledger.view.balanceOf(r.ledger.account);
    const availableBefore = r.ledger.summary().available;
    const requester = aheadRequester(r, w);

    const first = await collect(requester.chat(TIER, ASK));
    expect(first.usage?.type).toBe('usage');
    await waitFor('the worker claimed the first payment', () => w.settlements.length === 1);
    const firstCost = before - r.ledger.view.balanceOf(r.ledger.account);
    // The offer of the first reply's end is reserved without a request: on the chain and in the file.
    await waitFor('the offer is reserved ahead', () => newestKinds(r, 1)[0] === 'RESERVE');
    const lockedAhead = r.ledger.view.chain(r.ledger.account)!.reserved;
    expect(lockedAhead).toBeGreaterThan(0n);
    expect(storedKinds(r).at(-1)).toBe(BlockKind.RESERVE);
    const held = r.ledger.view.chain(r.ledger.account)!.ids.length;
    // Still the user's: the balance shown dropped by the chat's cost only, the hold is named apart.
    const summary = r.ledger.summary();
    expect(r.ledger.heldAhead()).toBe(lockedAhead);
    expect(micro(availableBefore) - micro(summary.available)).toBe(firstCost);
    expect(summary).toMatchObject({ reserved: '0', heldAhead: formatTokens(lockedAhead) });

    const second = await collect(requester.chat(TIER, ASK));
    expect(second.text).toBe(first.text);
    // No fresh quote: the worker took the RESERVE that came with the request, the one held ahead.
    expect(counts).toEqual({ quotes: 1, taken: 1 });
    await waitFor('the worker claimed both payments', () => w.settlements.length === 2);
    const chain = r.ledger.view.chain(r.ledger.account)!;
    expect(r.ledger.view.block(chain.ids[held]!)?.body.kind).toBe(BlockKind.SETTLE);
    expect(r.ledger.view.block(chain.ids[held]!)?.body.requestId).toEqual(
      r.ledger.view.block(chain.ids[held - 1]!)?.body.requestId,
    );

    // The node pauses (RoutingService.setPaused): what it holds ahead is settled at zero; a later reply's
    // offer is held again.
    await waitFor('the next offer is reserved ahead', () => newestKinds(r, 1)[0] === 'RESERVE');
    expect(r.ledger.heldAhead()).toBeGreaterThan(0n);
    requester.releaseHeld();
    expect(newestKinds(r, 1)).toEqual(['SETTLE']);
    expect(r.ledger.heldAhead()).toBe(0n);
    expect(r.ledger.view.chain(r.ledger.account)?.reserved).toBe(0n);
    await collect(requester.chat(TIER, ASK));
    await waitFor('the worker claimed three payments', () => w.settlements.length === 3);
    await waitFor('the next offer is reserved ahead', () => newestKinds(r, 1)[0] === 'RESERVE');

    // The node stops: what it holds ahead is settled at zero, and it paid exactly what the worker claimed.
    expect(r.ledger.heldAhead()).toBeGreaterThan(0n);
    requester.close();
    expect(newestKinds(r, 1)).toEqual(['SETTLE']);
    expect(r.ledger.heldAhead()).toBe(0n);
    expect(r.ledger.summary()).toMatchObject({ reserved: '0', heldAhead: '0' });
    let claimed = 0n;
    for (const outcome of w.settlements) if (outcome.kind === 'settled') claimed += outcome.amount;
    expect(claimed).toBeGreaterThan(0n);
    expect(r.ledger.view.balanceOf(r.ledger.account)).toBe(before - claimed);
    expect(r.ledger.view.chain(r.ledger.account)?.reserved).toBe(0n);
  }, 60_000);

  it('settles a held reservation at zero once its offer is no longer tried', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    const { r, w } = await dialledPair(params, keyR, keyW);
    w.engine = new ScriptedEngineDouble(wordDeltas(40));
    const requester = aheadRequester(r, w, 300);
    await collect(requester.chat(TIER, ASK));
    await waitFor('the worker claimed the payment', () => w.settlements.length === 1);
    const paid = r.ledger.view.balanceOf(r.ledger.account);
    await waitFor('the held reservation is settled', () => {
      const kinds = newestKinds(r, 2);
      return kinds[0] === 'SETTLE' && kinds[1] === 'RESERVE';
    });
    expect(r.ledger.view.chain(r.ledger.account)?.reserved).toBe(0n);
    expect(r.ledger.view.balanceOf(r.ledger.account)).toBe(paid);
    requester.close();
  }, 60_000);

  it('releases a held reservation at zero when the next request does not fit its quote, and quotes afresh', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    const counts: Counts = { quotes: 0, taken: 0 };
    const { r, w } = await dialledPair(params, keyR, keyW, { workerPaymentsAs: counting(counts) });
    w.engine = new ScriptedEngineDouble(wordDeltas(40));
    const requester = aheadRequester(r, w);
    await collect(requester.chat(TIER, ASK));
    await waitFor('the offer is reserved ahead', () => newestKinds(r, 1)[0] === 'RESERVE');
    // Another reply length than the offer covers: the held reservation cannot pay for it.
    const longer = { ...ASK, max_tokens: 80 };
    const reply = await collect(requester.chat(TIER, longer));
    expect(reply.usage?.type).toBe('usage');
    expect(counts).toEqual({ quotes: 2, taken: 0 });
    await waitFor('the worker claimed both payments', () => w.settlements.length === 2);
    requester.close();
    expect(r.ledger.view.chain(r.ledger.account)?.reserved).toBe(0n);
  }, 60_000);

  it('settles what it holds ahead at zero when only that would refuse a request, and serves the request', async () => {
    const {
      keys: [keyR, keyW1, keyW2],
      params: base,
    } = await fundedAccounts([1n, 1_000n, 1_000n]);
    // One token, no floor: a request may lock up to half of it.
    const params = { ...base, floor: 0n, minAvailable: 0n, maxRequestCost: base.genesis[0]!.amount / 2n };
    const { r, w: w1 } = await dialledPair(params, keyR, keyW1);
    const w2 = await paidNode(params, keyW2, [w1.p2p.listenAddresses()[0]!]);
    await r.p2p.libp2p.dial(multiaddr(w2.p2p.listenAddresses()[0]));
    w1.engine = new ScriptedEngineDouble(wordDeltas(40));
    w2.engine = new ScriptedEngineDouble(wordDeltas(40));
    // The requester routes to whichever worker the test names.
    let serving = w1;
    const directory: ClusterDirectory = {
      region: () => 'europe',
      members: (tier) => directoryOf([serving]).members(tier),
    };
    const requester = new InferRequester(
      { dialer: r.p2p.libp2p, directory, payments: r.requesterPayments },
      { admitTimeoutMs: 5_000, idleTimeoutMs: 10_000, spareStreamMs: 0, reserveAhead: true },
    );
    cleanup.push(() => requester.close());

    await collect(requester.chat(TIER, ASK));
    await waitFor('the offer of w1 is reserved ahead', () => newestKinds(r, 1)[0] === 'RESERVE');
    const held = r.ledger.heldAhead();
    expect(held).toBeGreaterThan(0n);
    const heldRequest = r.ledger.view.block(r.ledger.view.chain(r.ledger.account)!.ids.at(-1)!)!.body
      .requestId;

    // Two requests to w2 at once, each locking just under half of the balance: both fit in what the user
    // has, but not beside the reservation held ahead for w1.
    serving = w2;
    const balance = r.ledger.view.balanceOf(r.ledger.account);
    const big = { ...ASK, max_tokens: Number(balance / 2n / PRICE) - promptTokenCount(ASK) };
    const bigCost = BigInt(promptTokenCount(ASK) + big.max_tokens) * PRICE;
    expect(balance - 2n * bigCost).toBeGreaterThanOrEqual(0n);
    expect(balance - held - 2n * bigCost).toBeLessThan(0n);
    const running = requester.chat(TIER, big)[Symbol.asyncIterator]();
    expect((await running.next()).done).toBe(false);
    const second = collect(requester.chat(TIER, big));
    for (let chunk = await running.next(); !chunk.done; chunk = await running.next());
    expect((await second).usage?.type).toBe('usage');

    // The hold was settled at zero, not paid: the user paid exactly what the workers claimed.
    const chain = r.ledger.view.chain(r.ledger.account)!;
    const closing = chain.ids
      .map((id) => r.ledger.view.block(id)!.body)
      .find((body) => body.kind === BlockKind.SETTLE && bytesEqual(body.requestId, heldRequest));
    expect(closing?.amount).toBe(0n);
    await waitFor('both workers claimed', () => w1.settlements.length === 1 && w2.settlements.length === 2);
  }, 60_000);
});
