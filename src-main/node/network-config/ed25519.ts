// Node's native Ed25519 (≈11× faster than @noble/curves here) for founder keys and config signatures.
import { createPrivateKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import type { Ed25519Verify } from '../../../src-shared/network-config/index.ts';
import { publicKeyFromRaw, rawPublicKey } from '../crypto/ed25519-keys.ts';
import { precheckEd25519 } from '../../../src-shared/ledger/ed25519-strict.ts';

export { publicKeyFromRaw, rawPublicKey };

/**
 * Verifier for the pure config code: false for any bad input, never throws. Strict RFC 8032 like the ledger's:
 * OpenSSL alone accepts a few "signatures" by small-order keys, which anyone can make.
 */
export const nodeEd25519Verify: Ed25519Verify = (publicKey, message, signature) => {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  if (!precheckEd25519(signature, publicKey)) return false;
  try {
    return verify(null, message, publicKeyFromRaw(publicKey), signature);
  } catch {
    return false;
  }
};

export interface FounderKeyPair {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
}

export function generateFounderKey(): FounderKeyPair {
  return generateKeyPairSync('ed25519');
}

export function signEd25519(privateKey: KeyObject, message: Uint8Array): Uint8Array {
  return new Uint8Array(sign(null, message, privateKey));
}

/** Founder keys are stored as PKCS#8 PEM: the format `openssl` reads, should a founder want to check one. */
export function founderKeyToPem(key: KeyObject): string {
  return key.export({ format: 'pem', type: 'pkcs8' }).toString();
}

export function founderKeyFromPem(pem: string): KeyObject {
  const key = createPrivateKey({ key: pem, format: 'pem' });
  if (key.asymmetricKeyType !== 'ed25519') throw new RangeError('not an Ed25519 key');
  return key;
}
