// Synchronous Ed25519 signing for own blocks: the sign step runs inside the append transaction, so it must
// not await (another append could interleave). Node's crypto signs synchronously from the raw seed.
import { createPrivateKey, sign, type KeyObject } from 'node:crypto';
import type { Ed25519PrivateKey } from '@libp2p/interface';

/** The account key as the ledger uses it. */
export interface LedgerSigner {
  readonly publicKey: Uint8Array;
  readonly sign: (message: Uint8Array) => Uint8Array;
}

const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

/** A signer from a raw 32-byte seed and its public key. */
export function signerFromSeed(seed: Uint8Array, publicKey: Uint8Array): LedgerSigner {
  if (seed.length !== 32 || publicKey.length !== 32)
    throw new RangeError('Ed25519 seed and key are 32 bytes');
  const key: KeyObject = createPrivateKey({
    key: Buffer.concat([PKCS8_PREFIX, seed]),
    format: 'der',
    type: 'pkcs8',
  });
  return {
    publicKey: Uint8Array.from(publicKey),
    sign: (message) => new Uint8Array(sign(null, message, key)),
  };
}

/** The node's identity key (libp2p keeps seed ‖ public key in `raw`) as a ledger signer. */
export function signerFromIdentity(privateKey: Ed25519PrivateKey): LedgerSigner {
  return signerFromSeed(privateKey.raw.subarray(0, 32), privateKey.publicKey.raw);
}
