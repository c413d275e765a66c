// Node's OpenSSL Ed25519 verifier and SHA-256 for the ledger: same answers as the portable ones
// (test/src-main/node/ledger/ed25519-agreement.test.ts), about 11 times faster.
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { precheckEd25519, type SignatureVerifier } from '../../../src-shared/ledger/ed25519-strict.ts';
import type { Hasher } from '../../../src-shared/ledger/hash.ts';

/** SHA-256 by OpenSSL. */
export const nativeSha256: Hasher = (data) => new Uint8Array(createHash('sha256').update(data).digest());

// The DER prefix of an Ed25519 SubjectPublicKeyInfo; the raw key follows. Cheaper than JWK parsing.
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

/**
 * An OpenSSL verifier with a bounded cache of parsed keys (most blocks come from few accounts). Like every
 * SignatureVerifier it is called only after precheckEd25519: OpenSSL alone accepts small-order keys.
 */
export function createNativeVerifier(maxCachedKeys = 4096): SignatureVerifier {
  const keys = new Map<string, KeyObject | null>();
  const keyFor = (publicKey: Uint8Array): KeyObject | null => {
    const hex = Buffer.from(publicKey.buffer, publicKey.byteOffset, publicKey.byteLength).toString('hex');
    let key = keys.get(hex);
    if (key === undefined) {
      try {
        key = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
      } catch {
        key = null;
      }
      if (keys.size >= maxCachedKeys) keys.delete(keys.keys().next().value!);
      keys.set(hex, key);
    }
    return key;
  };
  return (signature, message, publicKey) => {
    if (signature.length !== 64 || publicKey.length !== 32) return false;
    const key = keyFor(publicKey);
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
