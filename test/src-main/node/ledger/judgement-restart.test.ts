// Judgements that survive a restart (security finding 6 rest, issue 15 item 4), against real libp2p nodes and
// real SQLite files reopened by a new LedgerService: a worker that crashes mid-stream (the code that would
// journal the judgement after the stream never runs) still judges the requester from the acks journaled as
// they arrived; a judge that restarts neither forgets a report it was judging nor penalises twice for one it
// judged.
import { afterEach, describe, expect, it } from 'vitest';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import { decodeAck } from '../../../../src-shared/ledger/payment/ack.ts';
import {
  decodeNonSettlementReport,
  encodeNonSettlementReport,
} from '../../../../src-shared/ledger/payment/non-settlement.ts';
import type { SettlementOutcome } from '../../../../src-main/node/ledger/settlement-outcome.ts';
import { SettlementReports } from '../../../../src-main/node/ledger/settlement-reports.ts';
import { waitFor } from '../p2p/loopback-network.ts';
import {
  cleanup,
  fundedAccounts,
  restartedWorkerPayments,
  runCleanup,
  startLedger,
  unsettledRequest,
} from './paid-network-kit.ts';
import { bentSession, hostileWorker } from './hostile-payments.ts';

afterEach(runCleanup);

/** The worker process "dies" at the end of the stream: what it would do after the stream never happens. */
const crashingAfterStream = hostileWorker((session) => bentSession(session, { unsettled: () => undefined }));

/** A worker served 40 tokens to a requester that never settled, and crashed before judging it. */
async function crashedWorker() {
  const {
    keys: [keyR, keyW, keyJ],
    params,
  } = await fundedAccounts([5_000n, 1_000n, 1_000n]);
  const { r, w } = await unsettledRequest(params, keyR, keyW, {
    worker: { settleWaitMs: 300 },
    payments: { settleDeadlineMs: 60_000 },
    workerPaymentsAs: crashingAfterStream,
  });
  // Evidence as it arrived: the RESERVE and the requester's best ack (40 tokens), with no judgement run.
  await waitFor('the final ack is journaled', () => {
    const [row] = w.ledger.journal.judgements();
    return row?.ack !== null && row?.ack !== undefined && decodedAckN(row.ack) === 40;
  });
  w.workerPayments.stop();
  await w.network.stop();
  await w.ledger.stop();
  return { r, w, keyW, keyJ, params };
}

function decodedAckN(bytes: Uint8Array): number {
  const ack = decodeAck(bytes);
  if (!ack) throw new Error('the journaled ack does not decode');
  return ack.body.n;
}

describe('judgements across restarts', () => {
  it('judges a requester that never settled after a worker crashed mid-request, from the acks it journaled', async () => {
    const { r, w, keyW, params } = await crashedWorker();
    const ledger = await startLedger(keyW, params, w.dbPath);
    const restarted = restartedWorkerPayments(ledger, keyW, params);
    const outcomes: SettlementOutcome[] = [];
    const reports: Uint8Array[] = [];
    restarted.addEventListener('settlement', (event) => outcomes.push(event.detail));
    restarted.addEventListener('report', (event) => reports.push(encodeNonSettlementReport(event.detail)));
    expect(restarted.resumeJudgements()).toBe(1);
    await waitFor('the judgement completed', () => outcomes.length === 1);
    expect(outcomes[0]).toEqual({ kind: 'unsettled', requester: toHex(r.ledger.account) });
    expect(ledger.reputation().get(toHex(r.ledger.account))?.failedCount).toBe(1);
    // The region learns it with the requester's own signature on all 40 tokens.
    expect(decodeNonSettlementReport(reports[0]!)!.ack.body.n).toBe(40);
    expect(ledger.journal.judgements()).toEqual([]);
  }, 60_000);

  it('a judge that restarts finishes a queued report and never counts a judged one twice', async () => {
    const { r, w, keyW, keyJ, params } = await crashedWorker();
    // The worker's report, as the region would receive it.
    const ledgerW = await startLedger(keyW, params, w.dbPath);
    const worker = restartedWorkerPayments(ledgerW, keyW, params);
    const reports: Uint8Array[] = [];
    worker.addEventListener('report', (event) => reports.push(encodeNonSettlementReport(event.detail)));
    worker.resumeJudgements();
    await waitFor('the report', () => reports.length === 1);
    const report = reports[0]!;

    // The judge knows the requester's chain, and is judging the report when it stops (its pull hangs).
    const judgeDir = `${w.dbPath}.judge`;
    const judge = await startLedger(keyJ, params, judgeDir);
    judge.ensureOpen();
    const chain = r.ledger.view.chain(r.ledger.account)!;
    judge.receive(chain.ids.map((_, i) => r.ledger.view.blockAt(r.ledger.account, BigInt(i + 1))!));
    const later = () => Date.now() + 120_000;
    let pulling = false;
    const first = new SettlementReports(
      {
        ledger: judge,
        pullAccount: (_peer, _account, signal) => {
          pulling = true;
          return new Promise((_, reject) =>
            signal.addEventListener('abort', () => reject(new Error('pull aborted'))),
          );
        },
      },
      { settleDeadlineMs: 60_000, pullTimeoutMs: 60_000, now: later },
    );
    expect(first.onGossip(report, 'relay-1')).toBe('accept');
    await waitFor('the judge pulls the requester’s chain', () => pulling);
    first.stop();
    await judge.stop();
    cleanup.push(() => first.idle());

    // Restart 1: the queued report is judged.
    const judge2 = await startLedger(keyJ, params, judgeDir);
    const second = new SettlementReports(
      { ledger: judge2, pullAccount: () => Promise.resolve() },
      { settleDeadlineMs: 60_000, now: later },
    );
    expect(second.resume()).toBe(1);
    await second.idle();
    expect(judge2.reputation().get(toHex(r.ledger.account))?.failedCount).toBe(1);
    // The same report again (relayed by another peer) is not judged again.
    expect(second.onGossip(report, 'relay-2')).toBe('ignore');
    second.stop();
    await judge2.stop();

    // Restart 2: nothing left to resume, and the old report still counts once.
    const judge3 = await startLedger(keyJ, params, judgeDir);
    const third = new SettlementReports(
      { ledger: judge3, pullAccount: () => Promise.resolve() },
      { settleDeadlineMs: 60_000, now: later },
    );
    expect(third.resume()).toBe(0);
    expect(third.onGossip(report, 'relay-3')).toBe('ignore');
    await third.idle();
    expect(judge3.reputation().get(toHex(r.ledger.account))?.failedCount).toBe(1);
    third.stop();
  }, 60_000);
});
