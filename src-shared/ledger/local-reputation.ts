// Local reputation (ref/ledger-design.md §11, phase 1): each node scores its counterparties from the work
// it saw settled or fail. Scores are never shared; a revoked account is excluded outright.

export interface CounterpartyRecord {
  readonly settledCount: number;
  /** µT the counterparty paid or was paid in settled requests. */
  readonly settledAmount: bigint;
  readonly failedCount: number;
  readonly revoked: boolean;
}

/**
 * A score in [-1, 1]: settled work raises it with diminishing returns (log of the count), every failure
 * costs as much as four settlements, and a revoked account is -1. Unknown accounts are 0.
 */
export function reputationScore(record: CounterpartyRecord | undefined): number {
  if (!record) return 0;
  if (record.revoked) return -1;
  const raw = Math.log2(1 + record.settledCount) - 4 * Math.log2(1 + record.failedCount);
  return Math.max(-1, Math.min(1, raw / 10));
}

/** gossipsub's application-specific score (P5) for a peer: reputation scaled by `weight`. */
export function gossipAppScore(record: CounterpartyRecord | undefined, weight = 10): number {
  return reputationScore(record) * weight;
}

/** Order candidate workers best first (stable for equal scores). */
export function rankByReputation<T>(
  candidates: readonly T[],
  recordOf: (candidate: T) => CounterpartyRecord | undefined,
): T[] {
  return candidates
    .map((candidate, index) => ({ candidate, index, score: reputationScore(recordOf(candidate)) }))
    .sort((a, b) => b.score - a.score || a.index - b.index)
    .map((entry) => entry.candidate);
}
