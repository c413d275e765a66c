// The digest of a streamed reply that acks and the receipt carry (ref/ledger-design.md §4 step 3): chained
// per chunk of `every` tokens, d_k = H("OG/v1/output\0" || d_{k-1} || chunk text), starting from 32 zero
// bytes. Worker and requester fold at the same token counts, so equal text gives equal digests; an ack or a
// receipt then names exactly the output it pays for.
import { ascii, ZERO32 } from '../bytes.ts';
import { domainHash, nobleSha256, type Hasher } from '../hash.ts';
import { utf8Bytes } from '../../protocol/utf8.ts';

const OUTPUT_DOMAIN = ascii('OG/v1/output\0');

export class OutputDigest {
  readonly #every: number;
  readonly #hasher: Hasher;
  #digest: Uint8Array = ZERO32;
  #pending: string[] = [];
  #count = 0;
  #folded = 0;

  constructor(every: number, hasher: Hasher = nobleSha256) {
    if (!Number.isSafeInteger(every) || every < 1)
      throw new RangeError('the chunk size is a positive integer');
    this.#every = every;
    this.#hasher = hasher;
  }

  /** Tokens pushed so far. */
  get count(): number {
    return this.#count;
  }

  /**
   * Add one token's text; folds a chunk whenever the count reaches a multiple of `every`. Empty text is no
   * token (security finding 5: a worker must not bill empty deltas), so every counted token carries at least
   * one byte. Returns whether it counted.
   */
  push(text: string): boolean {
    if (text.length === 0) return false;
    this.#pending.push(text);
    this.#count++;
    if (this.#count % this.#every === 0) this.#fold();
    return true;
  }

  /**
   * The digest over every token pushed. Between multiples of `every` this folds a partial chunk, which both
   * sides must then do too: call it at multiples of `every` and at the end only.
   */
  current(): Uint8Array {
    if (this.#folded < this.#count) this.#fold();
    return this.#digest;
  }

  #fold(): void {
    const text = utf8Bytes(this.#pending.join(''));
    const input = new Uint8Array(32 + text.length);
    input.set(this.#digest, 0);
    input.set(text, 32);
    this.#digest = domainHash(this.#hasher, OUTPUT_DOMAIN, input);
    this.#pending = [];
    this.#folded = this.#count;
  }
}
