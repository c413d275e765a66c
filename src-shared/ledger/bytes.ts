// Byte helpers for the ledger. Pure: the ledger runs in the node, in tests and (later) in a browser.

/** 32 zero bytes: the `prev` of a first block and every unused id field. */
export const ZERO32: Uint8Array = new Uint8Array(32);

const HEX_DIGITS = Uint8Array.from('0123456789abcdef', (c) => c.charCodeAt(0));
const HEX_CHUNK = 1024;
const hexCodes = new Uint16Array(2 * HEX_CHUNK);

/**
 * Lower-case hex of bytes. Built as one flat string per 1 KiB (String.fromCharCode over character codes):
 * a string concatenated pair by pair stays a tree of that many pieces wherever it is kept, e.g. as a Map key.
 */
export function toHex(bytes: Uint8Array): string {
  if (bytes.length === 32) return hex32(bytes);
  let out = '';
  for (let start = 0; start < bytes.length; start += HEX_CHUNK) {
    const end = Math.min(bytes.length, start + HEX_CHUNK);
    const codes = hexCodes.subarray(0, 2 * (end - start));
    for (let i = start, j = 0; i < end; i++, j += 2) {
      const byte = bytes[i]!;
      codes[j] = HEX_DIGITS[byte >> 4]!;
      codes[j + 1] = HEX_DIGITS[byte & 15]!;
    }
    out += String.fromCharCode.apply(null, codes as unknown as number[]);
  }
  return out;
}

// Character codes of each byte's two hex digits.
const HI = Uint16Array.from({ length: 256 }, (_, i) => HEX_DIGITS[i >> 4]!);
const LO = Uint16Array.from({ length: 256 }, (_, i) => HEX_DIGITS[i & 15]!);

/** toHex of 32 bytes (ids and keys, the usual case): 64 arguments, no array to spread. */
function hex32(b: Uint8Array): string {
  return String.fromCharCode(
    HI[b[0]!]!,
    LO[b[0]!]!,
    HI[b[1]!]!,
    LO[b[1]!]!,
    HI[b[2]!]!,
    LO[b[2]!]!,
    HI[b[3]!]!,
    LO[b[3]!]!,
    HI[b[4]!]!,
    LO[b[4]!]!,
    HI[b[5]!]!,
    LO[b[5]!]!,
    HI[b[6]!]!,
    LO[b[6]!]!,
    HI[b[7]!]!,
    LO[b[7]!]!,
    HI[b[8]!]!,
    LO[b[8]!]!,
    HI[b[9]!]!,
    LO[b[9]!]!,
    HI[b[10]!]!,
    LO[b[10]!]!,
    HI[b[11]!]!,
    LO[b[11]!]!,
    HI[b[12]!]!,
    LO[b[12]!]!,
    HI[b[13]!]!,
    LO[b[13]!]!,
    HI[b[14]!]!,
    LO[b[14]!]!,
    HI[b[15]!]!,
    LO[b[15]!]!,
    HI[b[16]!]!,
    LO[b[16]!]!,
    HI[b[17]!]!,
    LO[b[17]!]!,
    HI[b[18]!]!,
    LO[b[18]!]!,
    HI[b[19]!]!,
    LO[b[19]!]!,
    HI[b[20]!]!,
    LO[b[20]!]!,
    HI[b[21]!]!,
    LO[b[21]!]!,
    HI[b[22]!]!,
    LO[b[22]!]!,
    HI[b[23]!]!,
    LO[b[23]!]!,
    HI[b[24]!]!,
    LO[b[24]!]!,
    HI[b[25]!]!,
    LO[b[25]!]!,
    HI[b[26]!]!,
    LO[b[26]!]!,
    HI[b[27]!]!,
    LO[b[27]!]!,
    HI[b[28]!]!,
    LO[b[28]!]!,
    HI[b[29]!]!,
    LO[b[29]!]!,
    HI[b[30]!]!,
    LO[b[30]!]!,
    HI[b[31]!]!,
    LO[b[31]!]!,
  );
}

/**
 * A compact string naming these bytes, for Map and Set keys only (never shown, stored or sent): 32 bytes
 * become 16 UTF-16 code units in one allocation, about five times cheaper than toHex and quicker to hash.
 * Injective over all lengths: other lengths get a '~' and their hex, which is never 16 code units long.
 */
export function mapKey(b: Uint8Array): string {
  if (b.length !== 32) return `~${toHex(b)}`;
  return String.fromCharCode(
    b[0]! | (b[1]! << 8),
    b[2]! | (b[3]! << 8),
    b[4]! | (b[5]! << 8),
    b[6]! | (b[7]! << 8),
    b[8]! | (b[9]! << 8),
    b[10]! | (b[11]! << 8),
    b[12]! | (b[13]! << 8),
    b[14]! | (b[15]! << 8),
    b[16]! | (b[17]! << 8),
    b[18]! | (b[19]! << 8),
    b[20]! | (b[21]! << 8),
    b[22]! | (b[23]! << 8),
    b[24]! | (b[25]! << 8),
    b[26]! | (b[27]! << 8),
    b[28]! | (b[29]! << 8),
    b[30]! | (b[31]! << 8),
  );
}

/**
 * mapKey of 32 bytes followed by a 32-bit index (e.g. a SETTLE id and an output index), as 18 code units in
 * one string. Never equal to a mapKey (16 units, or '~' and an odd count).
 */
export function mapKeyWithIndex(b: Uint8Array, index: number): string {
  if (b.length !== 32) throw new RangeError('mapKeyWithIndex takes 32 bytes');
  return mapKey(b) + String.fromCharCode(index & 0xffff, (index >>> 16) & 0xffff);
}

/** Bytes from even-length hex; throws RangeError on anything else. */
export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) throw new RangeError('not a hex string');
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** True when both hold the same bytes. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  // Decoded blocks share equal fields (field-interner.ts): often the very same array.
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Lexicographic order of bytes (shorter first on a common prefix). */
export function compareBytes(a: Uint8Array, b: Uint8Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

/** One array holding all parts in order. */
export function concatBytes(...parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

/** True for 32 zero bytes. */
export function isZero32(bytes: Uint8Array): boolean {
  if (bytes === ZERO32) return true;
  if (bytes.length !== 32) return false;
  for (const byte of bytes) if (byte !== 0) return false;
  return true;
}

/** Bytes of an ASCII string (domain prefixes are ASCII; src-shared has no TextEncoder type). */
export function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code > 0x7f) throw new RangeError('not ASCII');
    out[i] = code;
  }
  return out;
}
