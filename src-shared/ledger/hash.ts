// SHA-256 with domain prefixes. The hash function is injectable: noble's portable one by default, the node
// passes OpenSSL's (faster on large batches). Both compute the same function, so ids never differ.
import { sha256 } from '@noble/hashes/sha2.js';
import { ascii } from './bytes.ts';

/**
 * SHA-256 as a function. A hasher may also offer `into`, which writes the 32-byte digest into `out` at
 * `offset` without allocating one (block decoding uses it: the id goes straight into the block's buffer).
 */
export type Hasher = ((data: Uint8Array) => Uint8Array) & {
  readonly into?: (data: Uint8Array, out: Uint8Array, offset: number) => void;
};

/** The digest of `data` written into `out` at `offset`, through `into` when the hasher has it. */
export function hashInto(hasher: Hasher, data: Uint8Array, out: Uint8Array, offset: number): void {
  if (hasher.into) hasher.into(data, out, offset);
  else out.set(hasher(data), offset);
}

export const nobleSha256: Hasher = (data) => sha256(data);

/** Domain prefixes: a signature for one object type is never valid as another. */
export const DOMAIN = {
  block: ascii('OG/v1/block\0'),
  ack: ascii('OG/v1/ack\0'),
  quote: ascii('OG/v1/quote\0'),
  receipt: ascii('OG/v1/receipt\0'),
  request: ascii('OG/v1/request\0'),
} as const;

/** H(domain || data) without building the concatenation twice. */
export function domainHash(hasher: Hasher, domain: Uint8Array, data: Uint8Array): Uint8Array {
  const input = new Uint8Array(domain.length + data.length);
  input.set(domain, 0);
  input.set(data, domain.length);
  return hasher(input);
}
