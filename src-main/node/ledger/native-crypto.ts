// Node's OpenSSL Ed25519 verifier and SHA-256 for the ledger: same answers as the portable ones
// (test/src-main/node/ledger/ed25519-agreement.test.ts), about 11 times faster.
import { hash, verify, type KeyObject } from 'node:crypto';
import { publicKeyFromRaw } from '../crypto/ed25519-keys.ts';
import { mapKey } from '../../../src-shared/ledger/bytes.ts';
import { precheckEd25519, type SignatureVerifier } from '../../../src-shared/ledger/ed25519-strict.ts';
import type { Hasher } from '../../../src-shared/ledger/hash.ts';

/**
 * SHA-256 by OpenSSL, one shot (no Hash object per call). The digest comes back as a 'binary' (latin1)
 * string, one character per byte and exact for every byte value: half the cost of a Buffer digest, which
 * needs a fresh off-heap allocation per call. `into` writes it where the caller wants it (a decoded block's
 * id goes straight into the block's buffer); called as a function it returns a plain 32-byte Uint8Array.
 */
export const nativeSha256: Hasher = Object.assign(
  (data: Uint8Array): Uint8Array => {
    const out = new Uint8Array(32);
    sha256Into(data, out, 0);
    return out;
  },
  { into: sha256Into },
);

function sha256Into(data: Uint8Array, out: Uint8Array, offset: number): void {
  const digest = hash('sha256', data, 'binary');
  for (let i = 0; i < 32; i++) out[offset + i] = digest.charCodeAt(i);
}

/** Parsed public keys, least recently used first; parsing one costs about as much as a verification. */
class KeyObjectCache {
  readonly #max: number;
  readonly #keys = new Map<string, KeyObject | null>();

  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  /** The key object for a raw 32-byte key, or null when OpenSSL refuses the key. */
  get(publicKey: Uint8Array): KeyObject | null {
    const name = mapKey(publicKey);
    let key = this.#keys.get(name);
    if (key !== undefined) {
      // Move to the most recent end (a Map iterates in insertion order).
      this.#keys.delete(name);
      this.#keys.set(name, key);
      return key;
    }
    try {
      key = publicKeyFromRaw(publicKey);
    } catch {
      key = null;
    }
    if (this.#keys.size >= this.#max) this.#keys.delete(this.#keys.keys().next().value!);
    this.#keys.set(name, key);
    return key;
  }
}

/**
 * An OpenSSL verifier with a bounded LRU cache of parsed keys (most blocks come from few accounts). Like every
 * SignatureVerifier it is called only after precheckEd25519: OpenSSL alone accepts small-order keys.
 */
export function createNativeVerifier(maxCachedKeys = 4096): SignatureVerifier {
  const keys = new KeyObjectCache(maxCachedKeys);
  return (signature, message, publicKey) => {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    const key = keys.get(publicKey);
    if (key === null) return false;
    try {
      return verify(null, message, key, signature);
    } catch {
      return false;
    }
  };
}

/** The native verifier with the ledger's precheck in front: safe to use on its own. */
export function createCheckedNativeVerifier(maxCachedKeys?: number): SignatureVerifier {
  const raw = createNativeVerifier(maxCachedKeys);
  return (signature, message, publicKey) =>
    precheckEd25519(signature, publicKey) && raw(signature, message, publicKey);
}
