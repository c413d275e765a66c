// A map from 32-byte ids (SHA-256 outputs) to values that know their id: the view's largest index, one entry
// per block. Keyed by a number mixed from the id's first eight bytes instead of a string, so an entry costs
// no string and a lookup no string hashing; entries whose numbers collide share a slot and are told apart by
// comparing ids. The mix uses multipliers drawn per map, so nobody can grind ids to pile blocks into one
// slot of someone else's view.

/** Values (objects, not arrays) stored under their 32-byte ids. */
export class IdMap<V> {
  readonly #slots = new Map<number, V | V[]>();
  readonly #idOf: (value: V) => Uint8Array;
  readonly #m0: number;
  readonly #m1: number;
  #size = 0;

  /** `mix`: the two multipliers, random unless given (tests pass [0, 0] to put every id in one slot). */
  constructor(idOf: (value: V) => Uint8Array, mix?: readonly [number, number]) {
    this.#idOf = idOf;
    this.#m0 = mix ? mix[0] : randomOddMultiplier();
    this.#m1 = mix ? mix[1] : randomOddMultiplier();
  }

  get size(): number {
    return this.#size;
  }

  #slotOf(id: Uint8Array): number {
    const w0 = id[0]! | (id[1]! << 8) | (id[2]! << 16) | (id[3]! << 24);
    const w1 = id[4]! | (id[5]! << 8) | (id[6]! << 16) | (id[7]! << 24);
    // 30 bits: small integers, which a Map hashes and compares cheapest.
    return (Math.imul(w0, this.#m0) ^ Math.imul(w1, this.#m1)) >>> 2;
  }

  get(id: Uint8Array): V | undefined {
    if (id.length !== 32) return undefined;
    const entry = this.#slots.get(this.#slotOf(id));
    if (entry === undefined) return undefined;
    if (!Array.isArray(entry)) return sameId(this.#idOf(entry), id) ? entry : undefined;
    for (const value of entry) if (sameId(this.#idOf(value), id)) return value;
    return undefined;
  }

  has(id: Uint8Array): boolean {
    return this.get(id) !== undefined;
  }

  /** Store `value` under its id; replaces a value stored under the same id. */
  set(value: V): void {
    const id = this.#idOf(value);
    if (id.length !== 32) throw new RangeError('IdMap keys are 32 bytes');
    const slot = this.#slotOf(id);
    const entry = this.#slots.get(slot);
    if (entry === undefined) {
      this.#slots.set(slot, value);
      this.#size++;
    } else if (!Array.isArray(entry)) {
      if (sameId(this.#idOf(entry), id)) this.#slots.set(slot, value);
      else {
        this.#slots.set(slot, [entry, value]);
        this.#size++;
      }
    } else {
      const list = entry;
      const at = list.findIndex((v) => sameId(this.#idOf(v), id));
      if (at >= 0) list[at] = value;
      else {
        list.push(value);
        this.#size++;
      }
    }
  }

  /** Every value, in no particular order. */
  *values(): Generator<V> {
    for (const entry of this.#slots.values()) {
      if (Array.isArray(entry)) yield* entry;
      else yield entry;
    }
  }
}

function sameId(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) if (a[i] !== b[i]) return false;
  return a.length === b.length;
}

function randomOddMultiplier(): number {
  return (Math.floor(Math.random() * 0x1_0000_0000) | 1) >>> 0;
}
