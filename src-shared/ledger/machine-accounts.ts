// Accounts by machine (ref/ledger-design.md §10): which accounts share a machine's hardware ids, so debt
// follows the machine and credit does not. Part of a LedgerView (ledger-view.ts), which hands it read access to
// its chains, fingerprint index, proofs and genesis.
import { mapKey } from './bytes.ts';
import type { ChainState } from './chain-state.ts';
import { sameMachineBinding } from './machine-binding.ts';

/** What MachineAccounts reads of its view (keys are mapKey() of account bytes). */
export interface MachineAccountsSource {
  chain(key: string): ChainState | undefined;
  /** Keys of accounts whose fingerprint shares an id with `fingerprint`. */
  candidates(fingerprint: readonly Uint8Array[]): Iterable<string>;
  isRevoked(key: string): boolean;
  hasGenesis(key: string): boolean;
  balanceOf(account: Uint8Array): bigint;
  fingerprintMatchMin(): number;
}

export class MachineAccounts {
  readonly #source: MachineAccountsSource;

  constructor(source: MachineAccountsSource) {
    this.#source = source;
  }

  /**
   * Why this node refuses to serve an account, or null when it may. Beyond its own revocation, an account is
   * refused only as the newer of two accounts on one machine (≥ 2 shared strong hardware ids) whose older
   * account is revoked or indebted: debt follows the machine, credit does not. The rule cannot be turned
   * against the innocent (security finding 1): fingerprints are public, so an account that has a genesis
   * allocation or earned credits is never refused because of another account's fingerprint, and an account
   * whose only block is an OPEN (free to make, and to fork) is no evidence about any machine.
   */
  serviceRefusal(account: Uint8Array): string | null {
    if (this.#source.isRevoked(mapKey(account))) return 'the account is revoked by a fraud proof';
    const key = mapKey(account);
    const chain = this.#source.chain(key);
    if (!chain) return 'the account has no OPEN block in this view';
    if (this.#source.hasGenesis(key) || chain.earned > 0n) return null;
    for (const other of this.#olderAccountsOnMachine(key, chain)) {
      if (this.#source.isRevoked(mapKey(other.account))) return 'this machine belonged to a revoked account';
      if (this.#source.balanceOf(other.account) < 0n)
        return 'this machine owes the debt of an earlier account; open with it as predecessor';
    }
    return null;
  }

  /** Accounts with more than an OPEN, opened before `chain` (ties: lower key), on the same machine. */
  *#olderAccountsOnMachine(key: string, chain: ChainState): Generator<ChainState> {
    for (const otherKey of this.#source.candidates(chain.fingerprint)) {
      if (otherKey === key) continue;
      const other = this.#source.chain(otherKey)!;
      if (other.ids.length < 2) continue;
      const older = other.openedTs < chain.openedTs || (other.openedTs === chain.openedTs && otherKey < key);
      if (!older) continue;
      if (sameMachineBinding(chain.fingerprint, other.fingerprint, this.#source.fingerprintMatchMin()))
        yield other;
    }
  }

  /**
   * Indebted or revoked accounts with more than an OPEN whose fingerprint matches: what a new OPEN on this
   * machine must inherit.
   */
  matchingAccounts(
    fingerprint: readonly Uint8Array[],
  ): { account: Uint8Array; balance: bigint; revoked: boolean }[] {
    const out: { account: Uint8Array; balance: bigint; revoked: boolean }[] = [];
    for (const key of this.#source.candidates(fingerprint)) {
      const chain = this.#source.chain(key)!;
      if (chain.ids.length < 2) continue;
      if (!sameMachineBinding(fingerprint, chain.fingerprint, this.#source.fingerprintMatchMin())) continue;
      out.push({
        account: chain.account,
        balance: this.#source.balanceOf(chain.account),
        revoked: this.#source.isRevoked(key),
      });
    }
    return out;
  }
}
