// What the status API, the CLI and the dashboard show of an account: its balance, held, earned and spent
// amounts as this node's view has them, and its newest blocks. Amounts are formatted in whole tokens.
// Reservations held ahead of a request (held-ahead.ts) are the user's: counted in `available`, named apart.
import { BLOCK_KIND_NAMES, BlockKind } from '../../../src-shared/ledger/block.ts';
import { toHex } from '../../../src-shared/ledger/bytes.ts';
import type { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';
import { formatTokens } from '../../../src-shared/ledger/token-amount.ts';

/** What the status API and the CLI show about this node's account. */
export interface AccountSummary {
  readonly account: string;
  readonly opened: boolean;
  readonly seq: string;
  readonly balance: string;
  /** Held by requests still running. */
  readonly reserved: string;
  /** Reserved ahead for this node's next request: still the user's, counted in `available`. */
  readonly heldAhead: string;
  /** What the user has to spend: the balance minus what running requests hold. */
  readonly available: string;
  readonly earned: string;
  readonly spent: string;
  readonly revoked: boolean;
  readonly refusal: string | null;
}

export interface HistoryEntry {
  readonly seq: string;
  readonly kind: string;
  readonly ts: string;
  readonly requestId: string | null;
  readonly amount: string;
  readonly balanceAfter: string;
}

/** `heldAhead`: µT of the account's open reservations held ahead (only this node knows its own). */
export function summaryOf(view: LedgerView, account: Uint8Array, heldAhead = 0n): AccountSummary {
  const chain = view.chain(account);
  const balance = view.balanceOf(account);
  const reserved = (chain?.reserved ?? 0n) - heldAhead;
  return {
    account: toHex(account),
    opened: chain !== undefined,
    seq: String(chain?.ids.length ?? 0),
    balance: formatTokens(balance),
    reserved: formatTokens(reserved),
    heldAhead: formatTokens(heldAhead),
    available: formatTokens(balance - reserved),
    earned: formatTokens(chain?.earned ?? 0n),
    spent: formatTokens(chain?.spent ?? 0n),
    revoked: view.isRevoked(account),
    refusal: chain ? view.serviceRefusal(account) : null,
  };
}

/** A chain's blocks newest first, as history entries. */
export function historyOf(view: LedgerView, account: Uint8Array, limit: number): HistoryEntry[] {
  const chain = view.chain(account);
  if (!chain) return [];
  const out: HistoryEntry[] = [];
  for (let seq = BigInt(chain.ids.length); seq >= 1n && out.length < limit; seq--) {
    const b = view.blockAt(account, seq)!.body;
    out.push({
      seq: String(b.seq),
      kind: BLOCK_KIND_NAMES[b.kind],
      ts: new Date(Number(b.ts)).toISOString(),
      requestId: b.kind === BlockKind.OPEN ? null : toHex(b.requestId),
      amount: formatTokens(b.amount),
      balanceAfter: formatTokens(b.balanceAfter),
    });
  }
  return out;
}
