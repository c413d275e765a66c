// The ledger's memory rebuilt from its SQLite file at start (DESIGN.md §3): every stored block replayed into a
// fresh view, the fraud proofs added, the heads cache checked against the blocks (rewritten when it differs),
// and the own blocks a crash left unpublished collected for publishing.
import type { Block } from '../../../src-shared/ledger/block.ts';
import type { SignatureVerifier } from '../../../src-shared/ledger/ed25519-strict.ts';
import type { Hasher } from '../../../src-shared/ledger/hash.ts';
import type { LedgerParams } from '../../../src-shared/ledger/ledger-params.ts';
import { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';
import { headsOf, sameHeads } from './heads-cache.ts';
import type { LedgerStore } from './ledger-store.ts';

export interface ReplayedLedger {
  readonly view: LedgerView;
  /** Own blocks committed but not marked published (a crash between commit and gossip). */
  readonly unpublished: readonly Block[];
  /** False when the heads cache differed from the heads recomputed from the blocks. */
  readonly headsConsistent: boolean;
}

export function replayLedger(
  store: LedgerStore,
  params: LedgerParams,
  verify: SignatureVerifier,
  hasher: Hasher,
): ReplayedLedger {
  const view = new LedgerView({ params, verify, hasher });
  const unpublished: Block[] = [];
  for (const stored of store.storedBlocks()) {
    // Stored blocks were verified before they were written; replay checks every rule but the signature.
    // Fork blocks replay as forks again (their branches followed as before).
    view.receive(stored.block, 2n ** 62n, { trusted: true });
    if (stored.own && !stored.published) unpublished.push(stored.block);
  }
  for (const proof of store.fraudProofs()) view.addFraudProof(proof);
  const recomputed = headsOf(view, view.accounts());
  const headsConsistent = sameHeads(recomputed, store.cachedHeads());
  if (!headsConsistent) store.replaceHeads(recomputed);
  return { view, unpublished, headsConsistent };
}
