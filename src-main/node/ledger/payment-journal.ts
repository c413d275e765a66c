// What a paid request must remember across a restart (security finding 6): the requester's highest signed ack
// per own reservation (a SETTLE below it would be fraud, so a restart settles at least that much), and the
// worker's pending judgements of requesters that went away without settling (the evidence would otherwise die
// with the process). Small rows in the ledger's own file; each write is its own fsync'd commit, written
// before the ack leaves the node or when a request ends unsettled, never per token.
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

export class PaymentJournal {
  readonly #recordAck: StatementSync;
  readonly #ackedFor: StatementSync;
  readonly #forgetAck: StatementSync;
  readonly #keepJudgement: StatementSync;
  readonly #judgements: StatementSync;
  readonly #dropJudgement: StatementSync;

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
}
