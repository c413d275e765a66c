// A strict reader for the one CBOR subset ledger blocks use (definite arrays, byte strings, integers), which
// accepts only the canonical (RFC 8949 preferred, minimal-length) encoding. Reading a whole input this way
// proves it is the unique encoding of its value without re-encoding it, which is most of the cost of
// validating a block. Anything else (maps, tags, floats, text, indefinite lengths, non-minimal heads) throws
// SchemaError. Differentially tested against decode-then-re-encode (test/src-shared/ledger/canonical-reader.test.ts).
import { SchemaError } from './strict-cbor.ts';

const TWO_32 = 2 ** 32;
const I64_MAX = 2n ** 63n - 1n;
const I64_MIN = -(2n ** 63n);

export class CanonicalReader {
  readonly #bytes: Uint8Array;
  #at = 0;

  constructor(bytes: Uint8Array) {
    this.#bytes = bytes;
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

  #head(): { major: number; value: number | bigint } {
    const b = this.#byte();
    return { major: b >> 5, value: this.#argument(b & 31) };
  }

  /** A definite array header; its length must be `length` (or at most `maxLength`). */
  array(length?: number, maxLength = 1024): number {
    const { major, value } = this.#head();
    if (major !== 4 || typeof value !== 'number') throw new SchemaError('not an array');
    if (length !== undefined ? value !== length : value > maxLength)
      throw new SchemaError('wrong array length');
    return value;
  }

  /** A byte string of exactly `length` bytes (or at most `maxLength`); a view into the input. */
  bytes(length?: number, maxLength = 65_536): Uint8Array {
    const { major, value } = this.#head();
    if (major !== 2 || typeof value !== 'number') throw new SchemaError('not bytes');
    if (length !== undefined ? value !== length : value > maxLength)
      throw new SchemaError('wrong byte string size');
    const end = this.#at + value;
    if (end > this.#bytes.length) throw new SchemaError('truncated');
    const out = this.#bytes.subarray(this.#at, end);
    this.#at = end;
    return out;
  }

  /** An unsigned integer ≤ 2^32 − 1, as a number. */
  u32(): number {
    const { major, value } = this.#head();
    if (major !== 0 || typeof value !== 'number' || value >= TWO_32) throw new SchemaError('not a u32');
    return value;
  }

  /** An unsigned 64-bit integer. */
  u64(): bigint {
    const { major, value } = this.#head();
    if (major !== 0) throw new SchemaError('not an unsigned integer');
    return BigInt(value);
  }

  /** A signed 64-bit integer. */
  i64(): bigint {
    const { major, value } = this.#head();
    if (major === 0) {
      const v = BigInt(value);
      if (v > I64_MAX) throw new SchemaError('out of range');
      return v;
    }
    if (major === 1) {
      const v = -1n - BigInt(value);
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
