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

export interface DeferredWritesInit {
  /** Ask the group commit for a commit soon (the next turn), with or without own blocks. */
  readonly kick: () => void;
  /**
   * How long rows nobody waits for may wait for a commit: what a crash can lose of them, each harmless where
   * it is deferred.
   */
  readonly lazyDelayMs: number;
}

export class DeferredWrites {
  readonly #init: DeferredWritesInit;
  #pending: Deferred[] = [];
  /** The timer that commits rows nobody waits for. */
  #lazy: ReturnType<typeof setTimeout> | null = null;

  constructor(init: DeferredWritesInit) {
    this.#init = init;
  }

  get size(): number {
    return this.#pending.length;
  }

  add(write: (target: DeferredTarget) => void, done?: (error: Error | null) => void): void {
    this.#pending.push(done ? { write, done } : { write });
    // A caller waiting for durability gets the next turn's commit. Rows nobody waits for wait a little longer
    // (or ride with any commit before): their fsync then falls after a request's first token, not between the
    // RESERVE's check and it, and more of them share it.
    if (done) this.#init.kick();
    else if (this.#lazy === null) {
      this.#lazy = setTimeout(() => {
        this.#lazy = null;
        if (this.#pending.length > 0) this.#init.kick();
      }, this.#init.lazyDelayMs);
      this.#lazy.unref();
    }
  }

  /** No more lazy commits (the service stops: it writes what waits itself). */
  stopTimer(): void {
    if (this.#lazy !== null) clearTimeout(this.#lazy);
    this.#lazy = null;
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
    this.stopTimer();
    this.take().failed(error);
  }
}
