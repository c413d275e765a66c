// The OPEN of this node's account (ref/ledger-design.md §10): its genesis allocation, or — with none — the debt
// of the most indebted other account on the same machine, which it inherits as predecessor (debt follows the
// machine; credit does not).
import type { BlockBody } from '../../../src-shared/ledger/block.ts';
import { buildOpen } from '../../../src-shared/ledger/block-builders.ts';
import { bytesEqual } from '../../../src-shared/ledger/bytes.ts';
import type { LedgerParams } from '../../../src-shared/ledger/ledger-params.ts';
import type { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';

/** The OPEN's body for `account` on the machine of `fingerprint`, as `view` knows the machine's accounts. */
export function openingBody(
  params: LedgerParams,
  view: LedgerView,
  account: Uint8Array,
  fingerprint: readonly Uint8Array[],
  now: bigint,
): BlockBody {
  const genesis = params.genesis.find((g) => bytesEqual(g.account, account))?.amount ?? 0n;
  let inherits = null;
  let amount = genesis;
  if (genesis === 0n) {
    const debts = view
      .matchingAccounts(fingerprint)
      .filter((m) => m.balance < 0n && !bytesEqual(m.account, account))
      .sort((a, b) => (a.balance < b.balance ? -1 : 1));
    const worst = debts[0];
    const head = worst ? view.head(worst.account) : null;
    if (worst && head) {
      inherits = { predecessor: worst.account, seq: head.seq, head: head.id };
      amount = view.blockAt(worst.account, head.seq)!.body.balanceAfter;
    }
  }
  return buildOpen(params, account, now, { fingerprint, inherits }, amount);
}
