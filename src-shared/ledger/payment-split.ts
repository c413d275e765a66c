// The payment split (ref/ledger-design.md §4 step 4): every node recomputes it, so it is exact integer
// arithmetic with a deterministic tie-break, and the shares always sum to the total.
import { compareBytes } from './bytes.ts';
import type { Output } from './block.ts';

export interface Share {
  readonly payee: Uint8Array;
  /** Work units of this payee, > 0. */
  readonly units: bigint;
}

/**
 * Split `total` µT over the shares in proportion to their units: floor of each exact share, then one µT more
 * to the largest fractional parts (ties by payee bytes). Outputs come sorted by payee; zero amounts are
 * dropped (a SETTLE never carries an empty output). Throws RangeError on a negative total, no shares,
 * non-positive units or a repeated payee: callers pass validated data.
 */
export function splitPayment(total: bigint, shares: readonly Share[]): Output[] {
  if (total < 0n) throw new RangeError('negative total');
  if (shares.length === 0) throw new RangeError('no shares');
  let unitSum = 0n;
  for (const share of shares) {
    if (share.units <= 0n) throw new RangeError('units must be positive');
    unitSum += share.units;
  }
  // One payee (most requests) takes the whole total: what the general case below computes, without its sorts.
  if (shares.length === 1) {
    const only = shares[0]!;
    return total > 0n ? [{ payee: only.payee, amount: total, units: only.units }] : [];
  }
  const sorted = [...shares].sort((a, b) => compareBytes(a.payee, b.payee));
  for (let i = 1; i < sorted.length; i++) {
    if (compareBytes(sorted[i - 1]!.payee, sorted[i]!.payee) === 0) throw new RangeError('repeated payee');
  }
  const parts = sorted.map((share, index) => {
    const exact = total * share.units;
    return { share, index, amount: exact / unitSum, fraction: exact % unitSum };
  });
  let remainder = total;
  for (const part of parts) remainder -= part.amount;
  // remainder < number of shares, since each floor loses less than 1.
  const byFraction = [...parts].sort((a, b) =>
    a.fraction === b.fraction ? a.index - b.index : a.fraction > b.fraction ? -1 : 1,
  );
  for (let i = 0; remainder > 0n; i++, remainder--) byFraction[i]!.amount += 1n;
  return parts
    .filter((part) => part.amount > 0n)
    .map((part) => ({ payee: part.share.payee, amount: part.amount, units: part.share.units }));
}
