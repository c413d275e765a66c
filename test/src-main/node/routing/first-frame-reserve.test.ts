// The quote off the critical path (issue 17 item 2), between real libp2p nodes with real ledgers (SQLite): the
// end of a paid reply offers a quote for the next request, which then carries its RESERVE in its first frame.
// A stale offer falls back to the quote round trip (the unused reservation is released at zero), and a
// first-frame RESERVE from an account that cannot pay does no engine work.
import { multiaddr } from '@multiformats/multiaddr';
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatDeltaChunk } from '../../../../src-shared/protocol/chat.ts';
import { INFER_WIRE_VERSION } from '../../../../src-shared/protocol/infer-frames.ts';
import type { ChatOptions, ChatStream } from '../../../../src-main/node/engine/engine.ts';
import type { LedgerWorkerPayments } from '../../../../src-main/node/ledger/worker-payments.ts';
import type { WorkerPayments } from '../../../../src-main/node/routing/payments.ts';
import { waitFor } from '../p2p/loopback-network.ts';
import { hostileRequester } from '../ledger/hostile-payments.ts';
import {
  ASK,
  collect,
  dialledPair,
  fundedAccounts,
  paidNode,
  requesterOf,
  runCleanup,
  TIER,
  type PaidNode,
} from '../ledger/paid-network-kit.ts';
import { ScriptedEngineDouble, wordDeltas } from '../ledger/scripted-engine.ts';
import { rawInferStream } from './paid-routing-kit.ts';

afterEach(runCleanup);

/** The scripted engine double, counting the generations it was asked for. */
class CountingEngineDouble extends ScriptedEngineDouble {
  calls = 0;

  constructor(deltas: readonly ChatDeltaChunk[]) {
    super(deltas);
  }

  override chat(request: unknown, options?: ChatOptions): ChatStream {
    this.calls++;
    return super.chat(request, options);
  }
}

interface Counts {
  quotes: number;
  taken: number;
}

/** The worker's real payments, counting the fresh quotes it made and the offered RESERVEs it took. */
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

/** Both requests settled with the worker, and the requester paid exactly what the worker claimed. */
async function expectPaidExactly(r: PaidNode, w: PaidNode, before: bigint, requests: number) {
  await waitFor('the worker claimed every payment', () => w.settlements.length === requests);
  let claimed = 0n;
  for (const outcome of w.settlements) {
    expect(outcome.kind).toBe('settled');
    if (outcome.kind === 'settled') claimed += outcome.amount;
  }
  expect(claimed).toBeGreaterThan(0n);
  expect(r.ledger.view.balanceOf(r.ledger.account)).toBe(before - claimed);
  expect(r.ledger.view.chain(r.ledger.account)?.reserved).toBe(0n);
}

describe('the RESERVE in the first frame', () => {
  it('a second request carries its RESERVE with the request: no fresh quote, paid the same', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    const counts: Counts = { quotes: 0, taken: 0 };
    const { r, w } = await dialledPair(params, keyR, keyW, { workerPaymentsAs: counting(counts) });
    const engine = new CountingEngineDouble(wordDeltas(40));
    w.engine = engine;
    const before = r.ledger.view.balanceOf(r.ledger.account);
    const requester = requesterOf(r, [w]);

    const first = await collect(requester.chat(TIER, ASK));
    expect(first.usage?.type).toBe('usage');
    expect(counts).toEqual({ quotes: 1, taken: 0 });
    // The first reply's end offered a quote for the next request.
    expect(w.workerPayments.offersKept).toBe(1);

    const second = await collect(requester.chat(TIER, ASK));
    expect(second.text).toBe(first.text);
    expect(counts).toEqual({ quotes: 1, taken: 1 });
    expect(engine.calls).toBe(2);
    await expectPaidExactly(r, w, before, 2);
    const kinds = r.ledger.history(10).map((entry) => entry.kind);
    expect(kinds.slice(0, 4)).toEqual(['SETTLE', 'RESERVE', 'SETTLE', 'RESERVE']);
  }, 60_000);

  it('a stale offer falls back to a fresh quote; its reservation is released at zero', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    const counts: Counts = { quotes: 0, taken: 0 };
    // The worker's clock jumps past its offer's expiry while the requester still believes in it.
    const clock = { aheadMs: 0 };
    const { r, w } = await dialledPair(params, keyR, keyW, {
      workerPaymentsAs: counting(counts),
      payments: { quoteTtlMs: 30_000, now: () => Date.now() + clock.aheadMs },
    });
    const engine = new CountingEngineDouble(wordDeltas(40));
    w.engine = engine;
    const before = r.ledger.view.balanceOf(r.ledger.account);
    const requester = requesterOf(r, [w]);

    await collect(requester.chat(TIER, ASK));
    clock.aheadMs = 31_000;
    const second = await collect(requester.chat(TIER, ASK));
    expect(second.usage?.type).toBe('usage');
    // The worker did not take the first-frame RESERVE: it quoted afresh, and the request ran once on it.
    expect(counts).toEqual({ quotes: 2, taken: 0 });
    expect(engine.calls).toBe(2);
    await expectPaidExactly(r, w, before, 2);
    const kinds = r.ledger.history(10).map((entry) => entry.kind);
    // Newest first: the fresh RESERVE's SETTLE, the fresh RESERVE, the zero SETTLE of the stale one, it.
    expect(kinds.slice(0, 4)).toEqual(['SETTLE', 'RESERVE', 'SETTLE', 'RESERVE']);
    expect(kinds.slice(4, 6)).toEqual(['SETTLE', 'RESERVE']);
  }, 60_000);

  it('a first-frame RESERVE from an account that cannot pay does no engine work', async () => {
    const {
      keys: [keyR, keyW, keyX, keyY],
      params,
    } = await fundedAccounts([5_000n, 1_000n, 1n, 5_000n]);
    const { r, w } = await dialledPair(params, keyR, keyW);
    const engine = new CountingEngineDouble(wordDeltas(40));
    w.engine = engine;
    const reserves: Uint8Array[] = [];
    const capturing = hostileRequester(r.requesterPayments, (payment) => {
      reserves.push(payment.reserve);
      return {};
    });
    await collect(requesterOf(r, [w], capturing).chat(TIER, ASK));
    expect(engine.calls).toBe(1);
    const address = w.p2p.listenAddresses()[0]!;

    // X holds an open account below the minimum and sends someone else's RESERVE with its request.
    const x = await paidNode(params, keyX, [address]);
    await x.p2p.libp2p.dial(multiaddr(address));
    const fromX = await rawInferStream(x.p2p, w.peerId);
    const answerX = fromX.channel.read(10_000);
    await fromX.channel.write({
      t: 'request',
      v: INFER_WIRE_VERSION,
      id: 'x',
      tier: TIER,
      request: ASK,
      reserve: reserves[0]!,
    });
    expect(await answerX).toMatchObject({ t: 'refused', reason: 'payment' });

    // Y can pay, but the RESERVE is not for an offer made to Y: it is quoted afresh, nothing runs.
    const y = await paidNode(params, keyY, [address]);
    await y.p2p.libp2p.dial(multiaddr(address));
    const fromY = await rawInferStream(y.p2p, w.peerId);
    const answerY = fromY.channel.read(10_000);
    await fromY.channel.write({
      t: 'request',
      v: INFER_WIRE_VERSION,
      id: 'y',
      tier: TIER,
      request: ASK,
      reserve: reserves[0]!,
    });
    expect((await answerY).t).toBe('quote');
    fromY.channel.abort('done');
    expect(engine.calls).toBe(1);
  }, 60_000);
});
