// Decoded blocks stay in memory for as long as a node runs, and many of their 32-byte fields repeat: every
// block of a chain names its account, a SETTLE repeats its RESERVE's request id, a block's prev is the block
// before's id. A view per field costs more memory and collector work than its 32 bytes, so the decoder
// hands out one shared array for values it saw recently. Nothing may write into a decoded block's fields
// (nothing does: they are what was signed).

/**
 * A bounded direct-mapped cache of 32-byte values: a slot per value of the first two bytes, no hashing. Each
 * slot also keeps bytes 2..5 of its value in a flat array, so that a field that is not the slot's value is
 * told apart there, without reading the (long-evicted) block the slot's value lives in.
 */
export class FieldInterner {
  readonly #slots: (Uint8Array | undefined)[];
  readonly #prefixes: Int32Array;
  readonly #mask: number;

  /** `size` slots (a power of two). */
  constructor(size: number) {
    this.#slots = new Array<Uint8Array | undefined>(size).fill(undefined);
    this.#prefixes = new Int32Array(size);
    this.#mask = size - 1;
  }

  /** The 32 bytes of `bytes` at `at`: an equal array seen recently, else a new view (remembered). */
  take(bytes: Uint8Array, at: number): Uint8Array {
    const slot = (bytes[at]! | (bytes[at + 1]! << 8)) & this.#mask;
    const prefix = prefixAt(bytes, at);
    if (this.#prefixes[slot] === prefix) {
      const recent = this.#slots[slot];
      if (recent !== undefined && sameAt(bytes, at, recent)) return recent;
    }
    const view = bytes.subarray(at, at + 32);
    this.#slots[slot] = view;
    this.#prefixes[slot] = prefix;
    return view;
  }

  /** Remember a 32-byte value (e.g. the id of a block just decoded) for fields equal to it. */
  put(value: Uint8Array): void {
    const slot = (value[0]! | (value[1]! << 8)) & this.#mask;
    this.#slots[slot] = value;
    this.#prefixes[slot] = prefixAt(value, 0);
  }
}

/** Bytes 2..5 of the 32 at `at`, as one number. */
function prefixAt(bytes: Uint8Array, at: number): number {
  return bytes[at + 2]! | (bytes[at + 3]! << 8) | (bytes[at + 4]! << 16) | (bytes[at + 5]! << 24);
}

function sameAt(bytes: Uint8Array, at: number, value: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (bytes[at + i] !== value[i]) return false;
  return true;
}
