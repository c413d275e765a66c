// Local reputation as the ledger service reports it (DESIGN.md §3): the stored outcome counts per counterparty,
// the outcomes recorded since that wait for the next group commit, and every account a fraud proof revoked.
import { toHex } from '../../../src-shared/ledger/bytes.ts';
import type { FraudProof } from '../../../src-shared/ledger/fraud-proof.ts';
import type { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';
import { reputationScore, type CounterpartyRecord } from '../../../src-shared/ledger/local-reputation.ts';
import type { LedgerStore } from './ledger-store.ts';

/** How one request with a counterparty ended. */
export type RequestOutcome = { settled: bigint } | 'failed';

/** A counterparty's record and its score. */
export type ScoredRecord = CounterpartyRecord & { score: number };

export class ReputationTable {
  /** Outcomes recorded and not yet committed. */
  readonly #pending = new Set<{ readonly account: Uint8Array; readonly outcome: RequestOutcome }>();
  #version = 0;

  /** Changes whenever table() may answer differently (an outcome recorded, a fraud proof added). */
  get version(): number {
    return this.#version;
  }

  /** A fraud proof was added: revocations changed. */
  changed(): void {
    this.#version++;
  }

  /**
   * Count `outcome` now; `store` writes it with the next group commit and calls back once it did (or never
   * will): from then the stored counts have it.
   */
  record(
    counterparty: Uint8Array,
    outcome: RequestOutcome,
    store: (write: (store: LedgerStore) => void, done: () => void) => void,
  ): void {
    const pending = { account: counterparty, outcome };
    this.#pending.add(pending);
    store(
      (target) => target.recordOutcome(counterparty, outcome),
      () => this.#pending.delete(pending),
    );
    this.#version++;
  }

  /** Every counterparty this node has dealt with, and every revoked account, scored. */
  table(store: LedgerStore, view: LedgerView): Map<string, ScoredRecord> {
    const out = new Map<string, ScoredRecord>();
    for (const o of store.outcomes()) {
      const record = {
        settledCount: o.settledCount,
        settledAmount: o.settledAmount,
        failedCount: o.failedCount,
        revoked: view.isRevoked(o.account),
      };
      out.set(toHex(o.account), { ...record, score: reputationScore(record) });
    }
    for (const { account, outcome } of this.#pending) {
      const key = toHex(account);
      const before = out.get(key) ?? {
        settledCount: 0,
        settledAmount: 0n,
        failedCount: 0,
        revoked: view.isRevoked(account),
      };
      const record =
        outcome === 'failed'
          ? { ...before, failedCount: before.failedCount + 1 }
          : {
              ...before,
              settledCount: before.settledCount + 1,
              settledAmount: before.settledAmount + outcome.settled,
            };
      out.set(key, { ...record, score: reputationScore(record) });
    }
    for (const proof of view.fraudProofs()) {
      const key = toHex(offender(proof));
      if (!out.has(key))
        out.set(key, { settledCount: 0, settledAmount: 0n, failedCount: 0, revoked: true, score: -1 });
    }
    return out;
  }
}

function offender(proof: FraudProof): Uint8Array {
  return proof.type === 'fork'
    ? proof.a.body.account
    : proof.type === 'underpay'
      ? proof.settle.body.account
      : proof.release.body.account;
}
