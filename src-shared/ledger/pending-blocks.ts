// Blocks a view keeps while they wait for a block it has not seen yet (a predecessor, a linked SETTLE or an
// inherited head): bounded, oldest dropped first, indexed by what they wait for so that the arrival of that
// block wakes exactly its waiters.
import type { Block } from './block.ts';
import { mapKey } from './bytes.ts';
import type { MissingBlock } from './validation-result.ts';

export class PendingBlocks {
  readonly #max: number;
  /** By mapKey(block id), oldest first. */
  readonly #pending = new Map<string, { readonly block: Block; readonly missing: MissingBlock }>();
  /** mapKey(missing id) → mapKeys of the blocks waiting for it. */
  readonly #waiting = new Map<string, Set<string>>();

  constructor(max: number) {
    this.#max = max;
  }

  get size(): number {
    return this.#pending.size;
  }

  /** Keep `block` (key `idKey`) until `missing` arrives; drops the oldest beyond the bound. */
  park(idKey: string, block: Block, missing: MissingBlock): void {
    if (this.#pending.has(idKey)) return;
    while (this.#pending.size >= this.#max) {
      const oldest = this.#pending.keys().next().value;
      if (oldest === undefined) break;
      this.unpark(oldest);
    }
    this.#pending.set(idKey, { block, missing });
    const key = mapKey(missing.id);
    const set = this.#waiting.get(key);
    if (set) set.add(idKey);
    else this.#waiting.set(key, new Set([idKey]));
  }

  /** Take a waiting block out (undefined when it is not waiting). */
  unpark(idKey: string): Block | undefined {
    const entry = this.#pending.get(idKey);
    if (!entry) return undefined;
    this.#pending.delete(idKey);
    const key = mapKey(entry.missing.id);
    const set = this.#waiting.get(key);
    set?.delete(idKey);
    if (set && set.size === 0) this.#waiting.delete(key);
    return entry.block;
  }

  /** The keys of the blocks waiting for the block with key `idKey` (a snapshot), or undefined for none. */
  waitersFor(idKey: string): string[] | undefined {
    if (this.#pending.size === 0) return undefined;
    const set = this.#waiting.get(idKey);
    return set ? [...set] : undefined;
  }

  /** What waiting blocks need, one entry per missing id. */
  missing(): MissingBlock[] {
    const seen = new Map<string, MissingBlock>();
    for (const { missing } of this.#pending.values()) seen.set(mapKey(missing.id), missing);
    return [...seen.values()];
  }
}
