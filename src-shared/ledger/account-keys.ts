// mapKey of account keys, cached by array identity: the decoder hands out one shared array per recent
// account (field-interner.ts), so most blocks find their account's key here without building a string.
import { mapKey } from './bytes.ts';

export class AccountKeys {
  readonly #arrays: (Uint8Array | undefined)[] = new Array<Uint8Array | undefined>(256).fill(undefined);
  readonly #keys: (string | undefined)[] = new Array<string | undefined>(256).fill(undefined);

  /** mapKey(account). */
  keyOf(account: Uint8Array): string {
    const slot = account[0]!;
    if (this.#arrays[slot] === account) {
      // Same array; checked against its bytes too, so a caller reusing an array for another key is safe.
      const cached = this.#keys[slot]!;
      if (keyMatches(cached, account)) return cached;
    }
    const key = mapKey(account);
    if (account.length === 32) {
      this.#arrays[slot] = account;
      this.#keys[slot] = key;
    }
    return key;
  }
}

/** True when `key` is mapKey(bytes) of these 32 bytes. */
function keyMatches(key: string, bytes: Uint8Array): boolean {
  for (let i = 0; i < 16; i++) {
    if (key.charCodeAt(i) !== (bytes[2 * i]! | (bytes[2 * i + 1]! << 8))) return false;
  }
  return true;
}
