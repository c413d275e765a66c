// GET /api/ledger?audit=1: what an outside check needs to compare ledgers across nodes (the chaos run, issue
// 15): the conservation terms of this node's view in micro-tokens, one digest over every chain head (two
// nodes with the same digest hold the same chains), and the forks it has proven.
import { createHash } from 'node:crypto';
import { toHex } from '../../../../src-shared/ledger/bytes.ts';
import type { LedgerView } from '../../../../src-shared/ledger/ledger-view.ts';

/** The body's `audit` field. Amounts are decimal strings of micro-tokens (they exceed 2^53). */
export interface LedgerAudit {
  readonly balances: string;
  readonly unclaimedOutputs: string;
  readonly unopenedGenesis: string;
  readonly genesis: string;
  /** balances + unclaimedOutputs + unopenedGenesis = genesis, exactly. */
  readonly conserved: boolean;
  /** Chains this view holds. */
  readonly chains: number;
  /** Blocks waiting for a predecessor (not counted yet). */
  readonly pending: number;
  /** SHA-256 over every head (account, seq, block id) in account order. */
  readonly headsDigest: string;
  /** Fraud proofs this view holds: accounts proven to have forked their chain. */
  readonly forksProven: number;
}

export function ledgerAudit(view: LedgerView): LedgerAudit {
  const c = view.conservation();
  const heads = view.heads().map((head) => `${toHex(head.account)}:${head.seq}:${toHex(head.id)}`);
  heads.sort();
  const digest = createHash('sha256');
  for (const head of heads) digest.update(`${head}\n`);
  return {
    balances: c.balances.toString(),
    unclaimedOutputs: c.unclaimedOutputs.toString(),
    unopenedGenesis: c.unopenedGenesis.toString(),
    genesis: c.genesis.toString(),
    conserved: c.balances + c.unclaimedOutputs + c.unopenedGenesis === c.genesis,
    chains: heads.length,
    pending: view.pendingCount,
    headsDigest: digest.digest('hex'),
    forksProven: view.fraudProofs().length,
  };
}
