// Which accounts opened with which machine fingerprint hashes (ref/ledger-design.md §10): how a view finds
// the earlier accounts of a machine, to refuse a fresh start that leaves debt or a revocation behind.
import { mapKey } from './bytes.ts';

export class FingerprintIndex {
  /** mapKey(fingerprint hash) → keys of the accounts whose OPEN carries it. */
  readonly #accounts = new Map<string, Set<string>>();

  add(accountKey: string, fingerprint: readonly Uint8Array[]): void {
    for (const hash of fingerprint) {
      const key = mapKey(hash);
      const set = this.#accounts.get(key);
      if (set) set.add(accountKey);
      else this.#accounts.set(key, new Set([accountKey]));
    }
  }

  /** Keys of the accounts sharing at least one hash with `fingerprint`. */
  candidates(fingerprint: readonly Uint8Array[]): Set<string> {
    const out = new Set<string>();
    for (const hash of fingerprint)
      for (const account of this.#accounts.get(mapKey(hash)) ?? []) out.add(account);
    return out;
  }
}
