// What a paid request must remember across a restart (security finding 6): the requester's highest signed ack
// per own reservation (a SETTLE below it would be fraud, so a restart settles at least that much), the
// worker's evidence against each requester it serves (its RESERVE from acceptance on, then its best ack, so
// neither a worker crash mid-stream nor a restart before the deadline loses it), and the region reports this
// node judged or is judging. Small rows in the ledger's own file; each write is its own fsync'd commit, never
// per token (acks come every `ackEvery` tokens).
import type { StatementSync } from 'node:sqlite';
import type { DatabaseSyncType } from './sqlite.ts';

/** The requester's record of one own reservation: acks signed so far and the prompt it would pay alone. */
export interface OwnAckRecord {
  readonly acked: number;
  readonly promptTokens: number;
}

/** A worker's judgement waiting for its deadline. */
export interface PendingJudgement {
  readonly reserveId: Uint8Array;
  /** The requester's RESERVE block, encoded. */
  readonly reserve: Uint8Array;
  /** The requester's best ack, encoded; null when none arrived (no signed evidence). */
  readonly ack: Uint8Array | null;
  /** When to judge (ms since the epoch). */
  readonly dueAt: number;
}

/** A region report this node accepted and has not finished judging. */
export interface QueuedReport {
  readonly reserveId: Uint8Array;
  /** The report as gossiped. */
  readonly report: Uint8Array;
}

export class PaymentJournal {
  readonly #updateJudgementAck: StatementSync;
  readonly #keepReport: StatementSync;
  readonly #reportJudged: StatementSync;
  readonly #reportKnown: StatementSync;
  readonly #queuedReports: StatementSync;
  readonly #forgetReports: StatementSync;
  readonly #recordAck: StatementSync;
  readonly #ackedFor: StatementSync;
  readonly #forgetAck: StatementSync;
  readonly #keepJudgement: StatementSync;
  readonly #judgements: StatementSync;
  readonly #dropJudgement: StatementSync;
  readonly #hold: StatementSync;
  readonly #unhold: StatementSync;
  readonly #held: StatementSync;

  constructor(db: DatabaseSyncType) {
    this.#recordAck = db.prepare(
      `INSERT INTO own_acks (request_id, acked, prompt_tokens) VALUES (?, ?, ?)
       ON CONFLICT (request_id) DO UPDATE SET acked = max(acked, excluded.acked), prompt_tokens = excluded.prompt_tokens`,
    );
    this.#ackedFor = db.prepare('SELECT acked, prompt_tokens FROM own_acks WHERE request_id = ?');
    this.#forgetAck = db.prepare('DELETE FROM own_acks WHERE request_id = ?');
    this.#keepJudgement = db.prepare(
      'INSERT OR REPLACE INTO judgements (reserve_id, reserve, ack, due_at) VALUES (?, ?, ?, ?)',
    );
    this.#judgements = db.prepare('SELECT reserve_id, reserve, ack, due_at FROM judgements ORDER BY due_at');
    this.#dropJudgement = db.prepare('DELETE FROM judgements WHERE reserve_id = ?');
    this.#updateJudgementAck = db.prepare('UPDATE judgements SET ack = ? WHERE reserve_id = ?');
    this.#keepReport = db.prepare(
      'INSERT OR IGNORE INTO reports (reserve_id, report, ack_ts, judged) VALUES (?, ?, ?, 0)',
    );
    this.#reportJudged = db.prepare('UPDATE reports SET judged = 1 WHERE reserve_id = ?');
    this.#reportKnown = db.prepare('SELECT 1 FROM reports WHERE reserve_id = ?');
    this.#queuedReports = db.prepare(
      'SELECT reserve_id, report FROM reports WHERE judged = 0 ORDER BY ack_ts',
    );
    this.#forgetReports = db.prepare('DELETE FROM reports WHERE ack_ts < ?');
    this.#hold = db.prepare('INSERT OR IGNORE INTO held_ahead (request_id) VALUES (?)');
    this.#unhold = db.prepare('DELETE FROM held_ahead WHERE request_id = ?');
    this.#held = db.prepare('SELECT request_id FROM held_ahead');
  }

  /** An own RESERVE committed ahead of its request (written in the RESERVE's transaction). */
  holdAhead(requestId: Uint8Array): void {
    this.#hold.run(requestId);
  }

  /** The reservation held ahead was used by a request or closed. */
  forgetHeldAhead(requestId: Uint8Array): void {
    this.#unhold.run(requestId);
  }

  /** Request ids of own reservations held ahead (some may be closed since: check the chain). */
  heldAhead(): Uint8Array[] {
    return heldAheadIn(this.#held);
  }

  /** Remember an ack before it is sent: a crash after sending must not settle below it. */
  recordAck(requestId: Uint8Array, acked: number, promptTokens: number): void {
    this.#recordAck.run(requestId, acked, promptTokens);
  }

  ackedFor(requestId: Uint8Array): OwnAckRecord | null {
    const row = this.#ackedFor.get(requestId) as { acked: number; prompt_tokens: number } | undefined;
    return row ? { acked: row.acked, promptTokens: row.prompt_tokens } : null;
  }

  /** The reservation is closed (SETTLE or RELEASE committed): its acks no longer matter. */
  forgetAcks(requestId: Uint8Array): void {
    this.#forgetAck.run(requestId);
  }

  keepJudgement(judgement: PendingJudgement): void {
    this.#keepJudgement.run(judgement.reserveId, judgement.reserve, judgement.ack, judgement.dueAt);
  }

  judgements(): PendingJudgement[] {
    return (
      this.#judgements.all() as {
        reserve_id: Uint8Array;
        reserve: Uint8Array;
        ack: Uint8Array | null;
        due_at: number;
      }[]
    ).map((row) => ({
      reserveId: new Uint8Array(row.reserve_id),
      reserve: new Uint8Array(row.reserve),
      ack: row.ack === null ? null : new Uint8Array(row.ack),
      dueAt: row.due_at,
    }));
  }

  dropJudgement(reserveId: Uint8Array): void {
    this.#dropJudgement.run(reserveId);
  }

  /** A newer ack of a requester this node serves (the evidence row exists since its RESERVE was accepted). */
  updateJudgementAck(reserveId: Uint8Array, ack: Uint8Array): void {
    this.#updateJudgementAck.run(ack, reserveId);
  }

  /** A region report about to be judged: kept before judging, so a restart judges it still. */
  keepReport(reserveId: Uint8Array, report: Uint8Array, ackTs: bigint): void {
    this.#keepReport.run(reserveId, report, ackTs);
  }

  reportJudged(reserveId: Uint8Array): void {
    this.#reportJudged.run(reserveId);
  }

  /** This node has judged (or is judging) a report of this reservation. */
  knowsReport(reserveId: Uint8Array): boolean {
    return this.#reportKnown.get(reserveId) !== undefined;
  }

  queuedReports(): QueuedReport[] {
    return (this.#queuedReports.all() as { reserve_id: Uint8Array; report: Uint8Array }[]).map((row) => ({
      reserveId: new Uint8Array(row.reserve_id),
      report: new Uint8Array(row.report),
    }));
  }

  /** Forget reports whose ack is older than `ackTs`: they are ignored by age anyway. */
  forgetReportsBefore(ackTs: bigint): void {
    this.#forgetReports.run(ackTs);
  }
}

/** heldAhead() of a database opened read-only (`opengateway-node ledger`); none before schema 5. */
export function heldAheadInFile(db: DatabaseSyncType): Uint8Array[] {
  const version = (db.prepare('PRAGMA user_version').get() as { user_version: number }).user_version;
  return version < 5 ? [] : heldAheadIn(db.prepare('SELECT request_id FROM held_ahead'));
}

function heldAheadIn(statement: StatementSync): Uint8Array[] {
  return (statement.all() as { request_id: Uint8Array }[]).map((row) => new Uint8Array(row.request_id));
}
