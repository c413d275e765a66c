// Security findings 5 and 6, performed against real libp2p nodes with real ledgers (SQLite): a worker that
// bills empty deltas, a worker that streams past the reservation, a requester that crashes between RESERVE
// and SETTLE, and a worker that restarts before judging a requester that never settled.
import { afterEach, describe, expect, it } from 'vitest';
import { BlockKind } from '../../../../src-shared/ledger/block.ts';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import type { ChatDeltaChunk } from '../../../../src-shared/protocol/chat.ts';
import { signerFromIdentity } from '../../../../src-main/node/ledger/ledger-signer.ts';
import { LedgerRequesterPayments } from '../../../../src-main/node/ledger/requester-payments.ts';
import type { SettlementOutcome } from '../../../../src-main/node/ledger/settlement-outcome.ts';
import { PartialResponseError } from '../../../../src-main/node/routing/errors.ts';
import { waitFor } from '../p2p/loopback-network.ts';
import {
  ASK,
  cleanup,
  collect,
  deltasBeforeError,
  dialledPair,
  fundedAccounts,
  requesterOf,
  restartedWorkerPayments,
  runCleanup,
  startLedger,
  TIER,
  unsettledRequest,
} from './paid-network-kit.ts';
import { bentSession, hostileWorker } from './hostile-payments.ts';
import { ScriptedEngineDouble, wordDeltas } from './scripted-engine.ts';

afterEach(runCleanup);

describe('billing attacks', () => {
  it('pays a worker that bills empty deltas for the text that arrived, not for its delta count', async () => {
    const {
      keys: [keyR, keyW],
      params,
    } = await fundedAccounts([5_000n, 1_000n]);
    // The worker counts every delta as a token (its session sees each empty delta as one with a space).
    const { r, w } = await dialledPair(params, keyR, keyW, {
      workerPaymentsAs: hostileWorker((s) =>
        bentSession(s, { sent: (delta) => s.sent({ ...delta, content: delta.content || ' ' }) }),
      ),
    });
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
    const { r, w } = await dialledPair(params, keyR, keyW, {
      workerPaymentsAs: hostileWorker((s) =>
        bentSession(s, {
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
    w.engine = new ScriptedEngineDouble(wordDeltas(70));
    const outcomes: string[] = [];
    w.worker.addEventListener('request', (event) => outcomes.push(event.detail.outcome));

    const { received, error } = await deltasBeforeError(
      requesterOf(r, [w]).chat(TIER, { ...ASK, max_tokens: 40 }),
    );
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
    // The requester "crashes" after the reply and its acks, before it SETTLEs: it never settles here.
    const { r, w } = await unsettledRequest(
      params,
      keyR,
      keyW,
      { worker: { settleWaitMs: 300 }, payments: { settleDeadlineMs: 2_000 } },
      'crashed',
    );
    const before = r.ledger.view.chain(r.ledger.account)!;
    expect(before.reserved).toBeGreaterThan(0n);
    await r.ledger.stop();

    // The restart: the same SQLite file, a new service and payments.
    const ledger = await startLedger(keyR, params, r.dbPath);
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
    const { r, w } = await unsettledRequest(params, keyR, keyW, {
      worker: { settleWaitMs: 300 },
      payments: { settleDeadlineMs: 60_000 },
    });
    await waitFor('the judgement is journaled', () => w.ledger.journal.judgements().length === 1);
    // The worker restarts long before the deadline: the timer dies with it, the journal does not.
    w.workerPayments.stop();
    await w.ledger.stop();
    const ledger = await startLedger(keyW, params, w.dbPath);
    // Its clock is past the deadline (the node was down that long).
    const restarted = restartedWorkerPayments(ledger, keyW, params);
    const outcomes: SettlementOutcome[] = [];
    restarted.addEventListener('settlement', (event) => outcomes.push(event.detail));
    expect(restarted.resumeJudgements()).toBe(1);
    await waitFor('the judgement completed', () => outcomes.length === 1);
    expect(outcomes[0]).toEqual({ kind: 'unsettled', requester: toHex(r.ledger.account) });
    expect(ledger.reputation().get(toHex(r.ledger.account))?.failedCount).toBe(1);
    expect(ledger.journal.judgements()).toEqual([]);
  }, 60_000);
});
