// Security findings 5 and 6, performed against real libp2p nodes with real ledgers (SQLite): a worker that
// bills empty deltas, a worker that streams past the reservation, a requester that crashes between RESERVE
// and SETTLE, and a worker that restarts before judging a requester that never settled.
import { multiaddr } from '@multiformats/multiaddr';
import { afterEach, describe, expect, it } from 'vitest';
import { BlockKind } from '../../../../src-shared/ledger/block.ts';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import type { ChatDeltaChunk } from '../../../../src-shared/protocol/chat.ts';
import { LedgerService } from '../../../../src-main/node/ledger/ledger-service.ts';
import { signerFromIdentity } from '../../../../src-main/node/ledger/ledger-signer.ts';
import { LedgerRequesterPayments } from '../../../../src-main/node/ledger/requester-payments.ts';
import type { SettlementOutcome } from '../../../../src-main/node/ledger/settlement-outcome.ts';
import { LedgerWorkerPayments } from '../../../../src-main/node/ledger/worker-payments.ts';
import { PartialResponseError } from '../../../../src-main/node/routing/errors.ts';
import type {
  RequesterPayments,
  WorkPayment,
  WorkerPayments,
} from '../../../../src-main/node/routing/payments.ts';
import { waitFor } from '../p2p/loopback-network.ts';
import {
  ASK,
  cleanup,
  collect,
  fundedAccounts,
  paidNode,
  requesterOf,
  runCleanup,
  TIER,
} from './paid-network-kit.ts';
import { ScriptedEngineDouble, wordDeltas } from './scripted-engine.ts';

afterEach(runCleanup);

/** A worker's payments whose sessions are bent by `bend` (the rest is the real code). */
function hostile(bend: (session: WorkPayment) => WorkPayment) {
  return (real: LedgerWorkerPayments): WorkerPayments => ({
    checkPayer: (requester, signal) => real.checkPayer(requester, signal),
    knowsAccount: (account) => real.knowsAccount(account),
    quote: (requester, tier, request, shareholders) => {
      const quoted = real.quote(requester, tier, request, shareholders);
      return quoted.ok ? { ok: true, payment: bend(quoted.payment) } : quoted;
    },
  });
}

/** A session whose methods and getters go to `session` unless `overrides` replaces them. */
function bent(session: WorkPayment, overrides: Partial<WorkPayment>): WorkPayment {
  return {
    get quote() {
      return session.quote;
    },
    get maxCompletionTokens() {
      return session.maxCompletionTokens;
    },
    acceptReserve: (block, signal) => session.acceptReserve(block, signal),
    get budget() {
      return session.budget;
    },
    sent: (delta) => session.sent(delta),
    acknowledge: (ack) => session.acknowledge(ack),
    receipt: (prompt) => session.receipt(prompt),
    settle: (receipt, block) => session.settle(receipt, block),
    unsettled: () => session.unsettled(),
    ...overrides,
  };
}

describe('billing attacks', () => {
  it('pays a worker that bills empty deltas for the text that arrived, not for its delta count', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    // The worker counts every delta as a token (its session sees each empty delta as one with a space).
    const w = await paidNode(params, keyW, [], {
      workerPaymentsAs: hostile((s) =>
        bent(s, { sent: (delta) => s.sent({ ...delta, content: delta.content || ' ' }) }),
      ),
    });
    const r = await paidNode(params, keyR, [w.p2p.listenAddresses()[0]!]);
    await r.p2p.libp2p.dial(multiaddr(w.p2p.listenAddresses()[0]));
    const empty: ChatDeltaChunk = { type: 'delta', content: '' };
    w.engine = new ScriptedEngineDouble([...Array<ChatDeltaChunk>(36).fill(empty), ...wordDeltas(3)], 39);

    const { text } = await collect(requesterOf(r, [w]).chat(TIER, { ...ASK, max_tokens: 40 }));
    expect(text).toBe('w0 w1 w2 ');
    const settle = r.ledger.view.blockAt(r.ledger.account, 3n)!.body;
    expect(settle.kind).toBe(BlockKind.SETTLE);
    expect(settle.completionTokens).toBe(3);
    expect(r.ledger.view.chain(r.ledger.account)!.reserved).toBe(0n);
  }, 60_000);

  it('stops a worker that streams past the reservation, acks nothing beyond it, and frees the reservation', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    const acks: number[] = [];
    // The worker ignores its budget and keeps sending; it records the acks it gets.
    const w = await paidNode(params, keyW, [], {
      workerPaymentsAs: hostile((s) =>
        bent(s, {
          get budget() {
            return 1_000;
          },
          sent: (delta) => {
            try {
              s.sent(delta);
            } catch {
              // past its own window: it sends anyway
            }
          },
          acknowledge: (ack) => {
            acks.push(ack.length);
            return s.acknowledge(ack);
          },
        }),
      ),
    });
    const r = await paidNode(params, keyR, [w.p2p.listenAddresses()[0]!]);
    await r.p2p.libp2p.dial(multiaddr(w.p2p.listenAddresses()[0]));
    w.engine = new ScriptedEngineDouble(wordDeltas(70));
    const outcomes: string[] = [];
    w.worker.addEventListener('request', (event) => outcomes.push(event.detail.outcome));

    let received = 0;
    const error = await (async () => {
      for await (const chunk of requesterOf(r, [w]).chat(TIER, { ...ASK, max_tokens: 40 }))
        if (chunk.type === 'delta') received++;
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartialResponseError);
    expect((error as Error).message).toMatch(/more than the 40 tokens reserved/);
    expect(received).toBe(40);
    // One ack at 32; none for the tokens past 40.
    expect(acks).toHaveLength(1);
    const chain = r.ledger.view.chain(r.ledger.account)!;
    const settle = r.ledger.view.blockAt(r.ledger.account, 3n)!.body;
    expect(settle.kind).toBe(BlockKind.SETTLE);
    expect(settle.completionTokens).toBe(40);
    expect(chain.reserved).toBe(0n);
    await waitFor('the worker stopped', () => outcomes.length === 1);
    expect(outcomes[0]).not.toBe('completed');
  }, 60_000);

  it('settles a reservation left open by a requester crash at restart, for at least what it acknowledged', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    const w = await paidNode(params, keyW, [], {
      worker: { settleWaitMs: 300 },
      payments: { settleDeadlineMs: 2_000 },
    });
    const r = await paidNode(params, keyR, [w.p2p.listenAddresses()[0]!]);
    await r.p2p.libp2p.dial(multiaddr(w.p2p.listenAddresses()[0]));
    w.engine = new ScriptedEngineDouble(wordDeltas(40));
    // The requester "crashes" after the reply and its acks, before it SETTLEs: it never settles here.
    const crashing: RequesterPayments = {
      pays: (peer) => r.requesterPayments.pays(peer),
      reputation: (peer) => r.requesterPayments.reputation(peer),
      prepare: (tier, request) => r.requesterPayments.prepare(tier, request),
      reserve: (worker, tier, request, quote) => {
        const payment = r.requesterPayments.reserve(worker, tier, request, quote);
        return {
          reserve: payment.reserve,
          received: (deltas) => payment.received(deltas),
          finalAck: () => payment.finalAck(),
          settle: () => {
            throw new Error('crashed');
          },
          settleAlone: () => undefined,
        };
      },
    };
    await collect(requesterOf(r, [w], crashing).chat(TIER, { ...ASK, max_tokens: 40 }));
    const before = r.ledger.view.chain(r.ledger.account)!;
    expect(before.reserved).toBeGreaterThan(0n);
    await r.ledger.stop();

    // The restart: the same SQLite file, a new service and payments.
    const ledger = new LedgerService(
      { signer: signerFromIdentity(keyR), fingerprint: [new Uint8Array(32).fill(keyR.publicKey.raw[0]!)] },
      { params, dbPath: r.dbPath },
    );
    await ledger.start();
    cleanup.push(() => ledger.stop());
    const payments = new LedgerRequesterPayments({
      ledger,
      signer: signerFromIdentity(keyR),
      params: () => params,
      selfPeerId: r.peerId,
    });
    cleanup.push(() => payments.stop());
    expect(payments.settleOpenReservations()).toBe(1);
    const chain = ledger.view.chain(ledger.account)!;
    expect(chain.reserved).toBe(0n);
    const settle = ledger.view.blockAt(ledger.account, BigInt(chain.ids.length))!;
    expect(settle.body.kind).toBe(BlockKind.SETTLE);
    // Every token was acknowledged (32, then 40 at the end): it pays them all, so it is no fraud.
    expect(settle.body.completionTokens).toBe(40);
    // The worker, given the SETTLE before its deadline, judges the requester settled (no report, no fraud)
    // and claims its pay.
    w.ledger.receive([settle]);
    const earnedBefore = w.ledger.view.balanceOf(w.ledger.account);
    await waitFor(
      'the worker judged and claimed',
      () => w.ledger.view.balanceOf(w.ledger.account) > earnedBefore,
      10_000,
    );
    expect(w.settlements).toEqual([]);
    expect(w.reports).toEqual([]);
  }, 60_000);

  it('completes a judgement of a requester that never settled after the worker restarts', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    const w = await paidNode(params, keyW, [], {
      worker: { settleWaitMs: 300 },
      payments: { settleDeadlineMs: 60_000 },
    });
    const r = await paidNode(params, keyR, [w.p2p.listenAddresses()[0]!]);
    await r.p2p.libp2p.dial(multiaddr(w.p2p.listenAddresses()[0]));
    w.engine = new ScriptedEngineDouble(wordDeltas(40));
    const unpaying: RequesterPayments = {
      pays: (peer) => r.requesterPayments.pays(peer),
      reputation: (peer) => r.requesterPayments.reputation(peer),
      prepare: (tier, request) => r.requesterPayments.prepare(tier, request),
      reserve: (worker, tier, request, quote) => {
        const payment = r.requesterPayments.reserve(worker, tier, request, quote);
        return {
          reserve: payment.reserve,
          received: (deltas) => payment.received(deltas),
          finalAck: () => payment.finalAck(),
          settle: () => {
            throw new Error('this requester does not pay');
          },
          settleAlone: () => undefined,
        };
      },
    };
    await collect(requesterOf(r, [w], unpaying).chat(TIER, { ...ASK, max_tokens: 40 }));
    await waitFor('the judgement is journaled', () => w.ledger.journal.judgements().length === 1);
    // The worker restarts long before the deadline: the timer dies with it, the journal does not.
    w.workerPayments.stop();
    await w.ledger.stop();
    const ledger = new LedgerService(
      { signer: signerFromIdentity(keyW), fingerprint: [new Uint8Array(32).fill(keyW.publicKey.raw[0]!)] },
      { params, dbPath: w.dbPath },
    );
    await ledger.start();
    cleanup.push(() => ledger.stop());
    // A clock past the deadline (the node was down that long).
    const later = () => Date.now() + 120_000;
    const restarted = new LedgerWorkerPayments(
      {
        ledger,
        signer: signerFromIdentity(keyW),
        params: () => params,
        pullAccount: () => Promise.resolve(),
      },
      { settleDeadlineMs: 60_000, now: later, resumeGraceMs: 0 },
    );
    cleanup.push(() => restarted.stop());
    const outcomes: SettlementOutcome[] = [];
    restarted.addEventListener('settlement', (event) => outcomes.push(event.detail));
    expect(restarted.resumeJudgements()).toBe(1);
    await waitFor('the judgement completed', () => outcomes.length === 1);
    expect(outcomes[0]).toEqual({ kind: 'unsettled', requester: toHex(r.ledger.account) });
    expect(ledger.reputation().get(toHex(r.ledger.account))?.failedCount).toBe(1);
    expect(ledger.journal.judgements()).toEqual([]);
  }, 60_000);
});
