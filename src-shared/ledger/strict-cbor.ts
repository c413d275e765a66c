// Strict CBOR for every ledger object: one encoding per value. Decoding refuses maps, tags, undefined,
// indefinite lengths, NaN and Infinity; the caller then re-encodes and compares bytes, which also catches
// non-minimal integers and floats standing in for integers. Decoders never throw on peer input: they return
// null and let the caller say which object was malformed.
import { decode, encode, rfc8949EncodeOptions } from 'cborg';

const DECODE_OPTIONS = {
  strict: true,
  allowIndefinite: false,
  allowUndefined: false,
  allowInfinity: false,
  allowNaN: false,
  allowBigInt: true,
  useMaps: true,
  rejectDuplicateMapKeys: true,
  tags: [],
} as const;

/** Canonical (RFC 8949 deterministic) encoding of a value built from arrays, byte strings, strings and integers. */
export function encodeCanonical(value: unknown): Uint8Array {
  // cborg hands out Node Buffers in Node, whose slice() is a view, not a copy: return a plain Uint8Array so
  // no caller can alias another object's bytes by "copying" them.
  return new Uint8Array(encode(value, rfc8949EncodeOptions));
}

/**
 * The canonical (shortest) head of a CBOR item of major type `major` (2: byte string, 4: array, …) with
 * argument `value` < 2^32, as bytes: what encodeCanonical writes before the item's content.
 */
export function canonicalHead(major: number, value: number): number[] {
  const m = major << 5;
  if (value < 24) return [m | value];
  if (value < 0x100) return [m | 24, value];
  if (value < 0x10000) return [m | 25, value >> 8, value & 0xff];
  return [m | 26, (value >>> 24) & 0xff, (value >> 16) & 0xff, (value >> 8) & 0xff, value & 0xff];
}

/** The decoded value, or null when the bytes are not strict, well-formed CBOR. */
export function decodeStrict(bytes: Uint8Array): unknown {
  try {
    return decode(bytes, DECODE_OPTIONS) as unknown;
  } catch {
    return null;
  }
}

/** A reader over a decoded CBOR array that fails (throws SchemaError) on any type or range mismatch. */
export class SchemaError extends Error {
  override readonly name = 'SchemaError';
}

const U64_MAX = 2n ** 64n - 1n;
const I64_MIN = -(2n ** 63n);
const I64_MAX = 2n ** 63n - 1n;

export function asArray(value: unknown, what: string, length?: number, maxLength = 1024): unknown[] {
  if (!Array.isArray(value)) throw new SchemaError(`${what}: not an array`);
  if (length !== undefined && value.length !== length) throw new SchemaError(`${what}: wrong length`);
  if (value.length > maxLength) throw new SchemaError(`${what}: too long`);
  return value as unknown[];
}

export function asBytes(value: unknown, what: string, length?: number, maxLength = 65_536): Uint8Array {
  if (!(value instanceof Uint8Array)) throw new SchemaError(`${what}: not bytes`);
  if (length !== undefined && value.length !== length) throw new SchemaError(`${what}: wrong size`);
  if (value.length > maxLength) throw new SchemaError(`${what}: too large`);
  return value;
}

function asInteger(value: unknown, what: string): bigint {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value)) return BigInt(value);
  throw new SchemaError(`${what}: not an integer`);
}

export function asU64(value: unknown, what: string): bigint {
  const n = asInteger(value, what);
  if (n < 0n || n > U64_MAX) throw new SchemaError(`${what}: out of range`);
  return n;
}

export function asI64(value: unknown, what: string): bigint {
  const n = asInteger(value, what);
  if (n < I64_MIN || n > I64_MAX) throw new SchemaError(`${what}: out of range`);
  return n;
}

/** A small unsigned integer (≤ 2^32 − 1) as a number. */
export function asU32(value: unknown, what: string): number {
  const n = asInteger(value, what);
  if (n < 0n || n > 0xffff_ffffn) throw new SchemaError(`${what}: out of range`);
  return Number(n);
}

export function asText(value: unknown, what: string, maxLength = 256): string {
  if (typeof value !== 'string') throw new SchemaError(`${what}: not text`);
  if (value.length > maxLength) throw new SchemaError(`${what}: too long`);
  return value;
}

/** True when both byte arrays are equal; used for the re-encode comparison. */
export function sameEncoding(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Decode bytes with `read`, then require that re-encoding the result with `write` gives the same bytes.
 * Returns null on any failure.
 */
export function decodeCanonical<T>(
  bytes: Uint8Array,
  maxBytes: number,
  read: (value: unknown) => T,
  write: (value: T) => unknown,
): T | null {
  if (bytes.length === 0 || bytes.length > maxBytes) return null;
  // Decoded byte strings are views into the input: decode a private copy, so a transport that reuses its
  // buffer can never change a stored object.
  bytes = new Uint8Array(bytes);
  const raw = decodeStrict(bytes);
  if (raw === null) return null;
  let parsed: T;
  try {
    parsed = read(raw);
  } catch (error) {
    if (error instanceof SchemaError) return null;
    throw error;
  }
  return sameEncoding(encodeCanonical(write(parsed)), bytes) ? parsed : null;
}
