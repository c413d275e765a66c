// The store's heads cache (account → seq, id, balance, reserved) as the view computes it, and the check at
// start that the cache matches what the blocks say (a crash between writes could leave it behind).
import { bytesEqual, toHex } from '../../../src-shared/ledger/bytes.ts';
import type { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';
import type { CachedHead } from './ledger-store.ts';

export function headsOf(view: LedgerView, accounts: readonly Uint8Array[]): CachedHead[] {
  const seen = new Map<string, CachedHead>();
  for (const account of accounts) {
    const chain = view.chain(account);
    if (!chain) continue;
    seen.set(toHex(account), {
      account,
      seq: BigInt(chain.ids.length),
      id: chain.ids[chain.ids.length - 1]!,
      balance: chain.balance,
      reserved: chain.reserved,
    });
  }
  return [...seen.values()];
}

export function sameHeads(a: readonly CachedHead[], b: readonly CachedHead[]): boolean {
  if (a.length !== b.length) return false;
  const byAccount = new Map(b.map((h) => [toHex(h.account), h]));
  return a.every((h) => {
    const other = byAccount.get(toHex(h.account));
    return (
      other !== undefined &&
      other.seq === h.seq &&
      bytesEqual(other.id, h.id) &&
      other.balance === h.balance &&
      other.reserved === h.reserved
    );
  });
}
