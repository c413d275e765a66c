// Writes that ride along with the next group commit (issue 17: no synchronous SQLite on the request path).
// Each is a small row (journal evidence, an ack record, a peer's block already applied in memory) that would
// otherwise cost its own transaction and fsync on the event loop while streams are served. They run inside
// the next commit's transaction, before its own blocks, so a block that depends on one (a CREDIT on a SETTLE
// received here) is never durable without it. A caller that must have its row durable before it acts (the
// requester's ack, finding 6) waits for `done`; the others lose at most the rows of the last turn on a crash,
// which each caller says is harmless where it defers.
import type { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';
import type { LedgerStore } from './ledger-store.ts';
import type { PaymentJournal } from './payment-journal.ts';

/** Where a deferred write runs: inside the commit's transaction. */
export interface DeferredTarget {
  readonly store: LedgerStore;
  readonly view: LedgerView;
  readonly journal: PaymentJournal;
}

interface Deferred {
  readonly write: (target: DeferredTarget) => void;
  /** Told once the write is committed (null) or will never be (the error). */
  readonly done?: (error: Error | null) => void;
}

/** The writes taken for one transaction: run them inside it, then report the commit's outcome. */
export interface DeferredBatch {
  readonly size: number;
  /** Run every write; one that throws is left out alone (SQLite undoes that statement, not the transaction). */
  run(target: DeferredTarget): void;
  committed(): void;
  failed(error: Error): void;
}

export class DeferredWrites {
  #pending: Deferred[] = [];

  get size(): number {
    return this.#pending.length;
  }

  add(write: (target: DeferredTarget) => void, done?: (error: Error | null) => void): void {
    this.#pending.push(done ? { write, done } : { write });
  }

  /** Everything pending, for the transaction about to run. */
  take(): DeferredBatch {
    const taken = this.#pending;
    this.#pending = [];
    const outcomes: (Error | null)[] = [];
    return {
      size: taken.length,
      run(target) {
        for (const entry of taken) {
          try {
            entry.write(target);
            outcomes.push(null);
          } catch (error) {
            outcomes.push(error instanceof Error ? error : new Error(String(error)));
          }
        }
      },
      committed() {
        taken.forEach((entry, i) => entry.done?.(outcomes[i] ?? null));
      },
      failed(error) {
        for (const entry of taken) entry.done?.(error);
      },
    };
  }

  /** Refuse everything pending (the service stops). */
  close(error: Error): void {
    this.take().failed(error);
  }
}
