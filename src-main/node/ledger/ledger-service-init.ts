// What a LedgerService is made of and says (ledger-service.ts): its components, its init options (the crash
// test's hook points among them) and its typed events.
import type { Block } from '../../../src-shared/ledger/block.ts';
import type { SignatureVerifier } from '../../../src-shared/ledger/ed25519-strict.ts';
import type { FraudProof } from '../../../src-shared/ledger/fraud-proof.ts';
import type { Hasher } from '../../../src-shared/ledger/hash.ts';
import type { LedgerParams } from '../../../src-shared/ledger/ledger-params.ts';
import type { LedgerSigner } from './ledger-signer.ts';

/**
 * How long deferred rows nobody waits for (evidence, outcomes, peers' blocks applied in memory) may wait for
 * a commit: what a crash can lose of them, each harmless where it is deferred.
 */
export const LAZY_WRITE_DELAY_MS = 20;

export interface LedgerComponents {
  readonly signer: LedgerSigner;
  /** Salted hashes of this machine's hardware ids (identity's fingerprint), 32 bytes each. */
  readonly fingerprint: readonly Uint8Array[];
}

/** Points inside an own append or a receive where the crash test kills the process. */
export type LedgerHookPoint =
  'built' | 'signed' | 'inserted' | 'committed' | 'published' | 'receive-applied' | 'receive-inserted';

export interface LedgerInit {
  readonly params: LedgerParams;
  /** The SQLite file (locations.ledgerDb). */
  readonly dbPath: string;
  readonly now?: () => bigint;
  readonly verify?: SignatureVerifier;
  readonly hasher?: Hasher;
  /** Called at each point of an own append or receive (crash tests only). */
  readonly testHook?: (point: LedgerHookPoint) => void;
}

export interface LedgerEvents {
  /** An own block is committed: gossip it. */
  'block:publish': CustomEvent<Block>;
  /** A new fraud proof: gossip it on the fraud topic. */
  'fraud:proof': CustomEvent<FraudProof>;
  /** Blocks became valid in this node's view. */
  'ledger:changed': CustomEvent<readonly Block[]>;
}
