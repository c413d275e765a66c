// A strict reader for the one CBOR subset ledger objects use (definite arrays, byte strings, integers, short
// text), which accepts only the canonical (RFC 8949 preferred, minimal-length) encoding. Reading a whole
// input this way proves it is the unique encoding of its value without re-encoding it, which was most of the
// cost of validating a block. Anything else (maps, tags, floats, indefinite lengths, non-minimal heads,
// ill-formed UTF-8) throws SchemaError. Differentially tested against decode-then-re-encode
// (test/src-shared/ledger/canonical-reader.test.ts).
import { SchemaError } from './strict-cbor.ts';

const TWO_32 = 2 ** 32;
const I64_MAX = 2n ** 63n - 1n;
const I64_MIN = -(2n ** 63n);

const MAJOR_UNSIGNED = 0;
const MAJOR_NEGATIVE = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;

export class CanonicalReader {
  readonly #bytes: Uint8Array;
  #at: number;

  /** Reads `bytes` from `start`; returned byte strings are views into `bytes`, not copies. */
  constructor(bytes: Uint8Array, start = 0) {
    this.#bytes = bytes;
    this.#at = start;
  }

  /** Where the next item starts. */
  get offset(): number {
    return this.#at;
  }

  #byte(): number {
    const b = this.#bytes[this.#at];
    if (b === undefined) throw new SchemaError('truncated');
    this.#at++;
    return b;
  }

  /** The head's argument, requiring the shortest form. Returns a number when < 2^53, else a bigint. */
  #argument(info: number): number | bigint {
    if (info < 24) return info;
    if (info === 24) {
      const v = this.#byte();
      if (v < 24) throw new SchemaError('non-minimal integer');
      return v;
    }
    if (info === 25) {
      const v = (this.#byte() << 8) | this.#byte();
      if (v < 256) throw new SchemaError('non-minimal integer');
      return v;
    }
    if (info === 26) {
      const v = this.#byte() * 0x1000000 + ((this.#byte() << 16) | (this.#byte() << 8) | this.#byte());
      if (v < 65536) throw new SchemaError('non-minimal integer');
      return v;
    }
    if (info === 27) {
      const hi = this.#byte() * 0x1000000 + ((this.#byte() << 16) | (this.#byte() << 8) | this.#byte());
      const lo = this.#byte() * 0x1000000 + ((this.#byte() << 16) | (this.#byte() << 8) | this.#byte());
      if (hi === 0) throw new SchemaError('non-minimal integer');
      const v = hi * TWO_32 + lo;
      return Number.isSafeInteger(v) ? v : (BigInt(hi) << 32n) | BigInt(lo);
    }
    throw new SchemaError('indefinite or reserved length');
  }

  /** The argument of a head of major type `major`. */
  #head(major: number): number | bigint {
    const b = this.#byte();
    if (b >> 5 !== major) throw new SchemaError('unexpected type');
    return this.#argument(b & 31);
  }

  /** A length (array or string) that fits a number; lengths ≥ 2^53 cannot be satisfied anyway. */
  #length(major: number): number {
    const value = this.#head(major);
    if (typeof value !== 'number') throw new SchemaError('length too large');
    return value;
  }

  /** A definite array header; its length must be `length` (or at most `maxLength`). */
  array(length?: number, maxLength = 1024): number {
    const value = this.#length(MAJOR_ARRAY);
    if (length !== undefined ? value !== length : value > maxLength)
      throw new SchemaError('wrong array length');
    return value;
  }

  /** A byte string of exactly `length` bytes (or at most `maxLength`); a view into the input. */
  bytes(length?: number, maxLength = 65_536): Uint8Array {
    const value = this.#length(MAJOR_BYTES);
    if (length !== undefined ? value !== length : value > maxLength)
      throw new SchemaError('wrong byte string size');
    const end = this.#at + value;
    if (end > this.#bytes.length) throw new SchemaError('truncated');
    const out = this.#bytes.subarray(this.#at, end);
    this.#at = end;
    return out;
  }

  /** Like bytes(undefined, maxLength), but a zero-length string comes back as `empty` (a shared array). */
  bytesOr(empty: Uint8Array, maxLength: number): Uint8Array {
    const value = this.#length(MAJOR_BYTES);
    if (value > maxLength) throw new SchemaError('wrong byte string size');
    if (value === 0) return empty;
    const end = this.#at + value;
    if (end > this.#bytes.length) throw new SchemaError('truncated');
    const out = this.#bytes.subarray(this.#at, end);
    this.#at = end;
    return out;
  }

  /**
   * A byte string of exactly `length` bytes, like bytes(length), but returns the input offset where its
   * content starts instead of a view: for callers that may hand out an equal shared array instead.
   */
  bytesAt(length: number): number {
    if (this.#length(MAJOR_BYTES) !== length) throw new SchemaError('wrong byte string size');
    const start = this.#at;
    if (start + length > this.#bytes.length) throw new SchemaError('truncated');
    this.#at = start + length;
    return start;
  }

  /**
   * A text string of at most `maxLength` UTF-16 code units. Only well-formed UTF-8 is its own canonical
   * encoding; a leading U+FEFF is refused too, because the generic decoder (TextDecoder) strips it as a byte
   * order mark, so no encoding of such a string round-trips there either.
   */
  text(maxLength: number): string {
    const size = this.#length(MAJOR_TEXT);
    const end = this.#at + size;
    if (end > this.#bytes.length) throw new SchemaError('truncated');
    const bytes = this.#bytes;
    let out = '';
    let i = this.#at;
    while (i < end) {
      const b0 = bytes[i]!;
      let cp: number;
      if (b0 < 0x80) {
        cp = b0;
        i += 1;
      } else if (b0 >= 0xc2 && b0 <= 0xdf) {
        cp = ((b0 & 0x1f) << 6) | continuation(bytes, i + 1, end, 0x80, 0xbf);
        i += 2;
      } else if (b0 >= 0xe0 && b0 <= 0xef) {
        // E0: no overlong forms (A0..BF); ED: no surrogates (80..9F).
        const lo = b0 === 0xe0 ? 0xa0 : 0x80;
        const hi = b0 === 0xed ? 0x9f : 0xbf;
        cp =
          ((b0 & 0x0f) << 12) |
          (continuation(bytes, i + 1, end, lo, hi) << 6) |
          continuation(bytes, i + 2, end, 0x80, 0xbf);
        i += 3;
      } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        // F0: no overlong forms (90..BF); F4: nothing above U+10FFFF (80..8F).
        const lo = b0 === 0xf0 ? 0x90 : 0x80;
        const hi = b0 === 0xf4 ? 0x8f : 0xbf;
        cp =
          ((b0 & 0x07) << 18) |
          (continuation(bytes, i + 1, end, lo, hi) << 12) |
          (continuation(bytes, i + 2, end, 0x80, 0xbf) << 6) |
          continuation(bytes, i + 3, end, 0x80, 0xbf);
        i += 4;
      } else {
        throw new SchemaError('ill-formed UTF-8');
      }
      if (cp === 0xfeff && out.length === 0) throw new SchemaError('leading byte order mark');
      out += String.fromCodePoint(cp);
      if (out.length > maxLength) throw new SchemaError('text too long');
    }
    this.#at = end;
    return out;
  }

  /** An unsigned integer ≤ 2^32 − 1, as a number. */
  u32(): number {
    const value = this.#head(MAJOR_UNSIGNED);
    if (typeof value !== 'number' || value >= TWO_32) throw new SchemaError('not a u32');
    return value;
  }

  /** An unsigned 64-bit integer. */
  u64(): bigint {
    return toBigInt(this.#head(MAJOR_UNSIGNED));
  }

  /** A signed 64-bit integer. */
  i64(): bigint {
    const b = this.#byte();
    const major = b >> 5;
    if (major === MAJOR_UNSIGNED) {
      const v = toBigInt(this.#argument(b & 31));
      if (v > I64_MAX) throw new SchemaError('out of range');
      return v;
    }
    if (major === MAJOR_NEGATIVE) {
      const v = -1n - BigInt(this.#argument(b & 31));
      if (v < I64_MIN) throw new SchemaError('out of range');
      return v;
    }
    throw new SchemaError('not an integer');
  }

  /** Require that the whole input was read. */
  end(): void {
    if (this.#at !== this.#bytes.length) throw new SchemaError('trailing bytes');
  }
}

// Decoded blocks keep their integers, and small ones (0, seqs, counts) are the most common: one shared
// bigint each below 1,024 instead of a fresh one per field.
const SMALL_BIGINTS: readonly bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

/** BigInt(value), shared for small values. */
function toBigInt(value: number | bigint): bigint {
  return typeof value === 'number' && value < 1024 ? SMALL_BIGINTS[value]! : BigInt(value);
}

/** The 6 payload bits of a UTF-8 continuation byte at `at` that must lie in lo..hi. */
function continuation(bytes: Uint8Array, at: number, end: number, lo: number, hi: number): number {
  if (at >= end) throw new SchemaError('truncated UTF-8');
  const b = bytes[at]!;
  if (b < lo || b > hi) throw new SchemaError('ill-formed UTF-8');
  return b & 0x3f;
}
