// ReserveTerms: the RESERVE block's `extra`. They fix, before any work, who is paid, in what ratio and at
// what price, so the SETTLE can be recomputed by anyone from the requester's own chain.
import { compareBytes } from './bytes.ts';
import { CanonicalReader } from './canonical-reader.ts';
import {
  asArray,
  asBytes,
  asText,
  asU64,
  decodeCanonical,
  encodeCanonical,
  SchemaError,
} from './strict-cbor.ts';

export const MAX_SHARES = 16;
const MAX_TERMS_BYTES = 1024;
/** Longest tier id, in UTF-16 code units (what the generic decoder measures). */
const MAX_TIER_LENGTH = 32;

/** One payee of a request and its weight (e.g. the share of the model's layers it runs). */
export interface ShareTerm {
  readonly pk: Uint8Array;
  readonly weight: bigint;
}

export interface ReserveTerms {
  readonly quoteId: Uint8Array;
  readonly tier: string;
  readonly pricePerUnit: bigint;
  readonly promptWeight: bigint;
  readonly completionWeight: bigint;
  readonly maxCost: bigint;
  /** ms since the epoch: after this the reservation may be released if no token was acknowledged. */
  readonly expiresAt: bigint;
  /** Sorted by pk, distinct, weight > 0. */
  readonly shares: readonly ShareTerm[];
}

function toCbor(t: ReserveTerms): unknown[] {
  return [
    t.quoteId,
    t.tier,
    t.pricePerUnit,
    t.promptWeight,
    t.completionWeight,
    t.maxCost,
    t.expiresAt,
    t.shares.map((s) => [s.pk, s.weight]),
  ];
}

function fromCbor(value: unknown): ReserveTerms {
  const f = asArray(value, 'terms', 8);
  const shares = asArray(f[7], 'shares', undefined, MAX_SHARES).map((entry) => {
    const s = asArray(entry, 'share', 2);
    return { pk: asBytes(s[0], 'share pk', 32), weight: asU64(s[1], 'weight') };
  });
  if (shares.length === 0) throw new SchemaError('shares: empty');
  for (let i = 0; i < shares.length; i++) {
    if (shares[i]!.weight === 0n) throw new SchemaError('shares: zero weight');
    if (i > 0 && compareBytes(shares[i - 1]!.pk, shares[i]!.pk) >= 0)
      throw new SchemaError('shares: not sorted');
  }
  return {
    quoteId: asBytes(f[0], 'quoteId', 32),
    tier: asText(f[1], 'tier', MAX_TIER_LENGTH),
    pricePerUnit: asU64(f[2], 'pricePerUnit'),
    promptWeight: asU64(f[3], 'promptWeight'),
    completionWeight: asU64(f[4], 'completionWeight'),
    maxCost: asU64(f[5], 'maxCost'),
    expiresAt: asU64(f[6], 'expiresAt'),
    shares,
  };
}

/** Canonical bytes; the shares are sorted here so callers cannot produce a second encoding. */
export function encodeReserveTerms(terms: ReserveTerms): Uint8Array {
  const shares = [...terms.shares].sort((a, b) => compareBytes(a.pk, b.pk));
  return encodeCanonical(toCbor({ ...terms, shares }));
}

/**
 * The terms, or null when the bytes are not the canonical encoding of valid terms. Works on a private copy:
 * the returned byte fields never alias the caller's buffer.
 */
export function decodeReserveTerms(bytes: Uint8Array): ReserveTerms | null {
  return readReserveTerms(new Uint8Array(bytes));
}

/**
 * decodeReserveTerms without the copy, for bytes that never change (a decoded block's `extra`): the byte
 * fields are views into them. One pass of CanonicalReader proves canonicity, as decoding and re-encoding
 * would (`decodeReserveTermsByReencoding`, the reference the tests compare it with).
 */
export function readReserveTerms(bytes: Uint8Array): ReserveTerms | null {
  if (bytes.length === 0 || bytes.length > MAX_TERMS_BYTES) return null;
  try {
    const r = new CanonicalReader(bytes);
    r.array(8);
    const quoteId = r.bytes(32);
    const tier = r.text(MAX_TIER_LENGTH);
    const pricePerUnit = r.u64();
    const promptWeight = r.u64();
    const completionWeight = r.u64();
    const maxCost = r.u64();
    const expiresAt = r.u64();
    const count = r.array(undefined, MAX_SHARES);
    if (count === 0) return null;
    const shares: ShareTerm[] = [];
    for (let i = 0; i < count; i++) {
      r.array(2);
      const pk = r.bytes(32);
      const weight = r.u64();
      if (weight === 0n) return null;
      if (i > 0 && compareBytes(shares[i - 1]!.pk, pk) >= 0) return null;
      shares.push({ pk, weight });
    }
    r.end();
    return { quoteId, tier, pricePerUnit, promptWeight, completionWeight, maxCost, expiresAt, shares };
  } catch (error) {
    if (error instanceof SchemaError) return null;
    throw error;
  }
}

/** The generic strict decode + re-encode comparison; kept as the reference readReserveTerms is tested against. */
export function decodeReserveTermsByReencoding(bytes: Uint8Array): ReserveTerms | null {
  return decodeCanonical(bytes, MAX_TERMS_BYTES, fromCbor, toCbor);
}
