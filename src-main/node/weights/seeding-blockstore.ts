// The blockstore Helia (and so bitswap) sees. Bitswap answers any peer's want from its blockstore; this
// wrapper decides what that may be: only blocks of the files the node seeds (the served tiers' models),
// nothing while seeding is paused (contributing paused), and never faster than the upload cap. Our own
// downloads write through it and read the underlying store directly, so none of this slows them.
import type { Blockstore, InputPair, Pair } from 'interface-blockstore';
import type { AbortOptions } from '@libp2p/interface';
import { NotFoundError } from 'interface-store';
import type { CID } from 'multiformats/cid';
import { base64 } from 'multiformats/bases/base64';
import type { UploadLimiter } from './upload-limiter.ts';

type Bytes = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** The seeded set's key for a block: its multihash (CIDs of one block may differ in version). */
export function blockKey(cid: CID): string {
  return base64.encode(cid.multihash.bytes);
}

export class SeedingBlockstore implements Blockstore {
  readonly #store: Blockstore;
  readonly #limiter: UploadLimiter;
  /** Block key → how many seeded files hold it. */
  readonly #seeded = new Map<string, number>();
  #paused = false;
  /** Bytes released to peers since start (the bench measures the cap with it). */
  uploadedBytes = 0;

  constructor(store: Blockstore, limiter: UploadLimiter) {
    this.#store = store;
    this.#limiter = limiter;
  }

  set paused(value: boolean) {
    this.#paused = value;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Offer these blocks to peers. */
  seed(cids: Iterable<CID>): void {
    for (const cid of cids) {
      const key = blockKey(cid);
      this.#seeded.set(key, (this.#seeded.get(key) ?? 0) + 1);
    }
  }

  /** Stop offering these blocks (another seeded file may still hold some). */
  unseed(cids: Iterable<CID>): void {
    for (const cid of cids) {
      const key = blockKey(cid);
      const count = (this.#seeded.get(key) ?? 0) - 1;
      if (count > 0) this.#seeded.set(key, count);
      else this.#seeded.delete(key);
    }
  }

  #offered(cid: CID): boolean {
    return !this.#paused && this.#seeded.has(blockKey(cid));
  }

  async has(cid: CID, options?: AbortOptions): Promise<boolean> {
    return this.#offered(cid) && (await this.#store.has(cid, options));
  }

  async *get(cid: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    if (!this.#offered(cid)) throw new NotFoundError('not seeded');
    for await (const chunk of this.#store.get(cid, options)) {
      await this.#limiter.take(chunk.byteLength, options?.signal);
      this.uploadedBytes += chunk.byteLength;
      yield chunk;
    }
  }

  async *getMany(source: Iterable<CID> | AsyncIterable<CID>, options?: AbortOptions): AsyncGenerator<Pair> {
    for await (const cid of source) yield { cid, bytes: this.get(cid, options) };
  }

  async *getAll(): AsyncGenerator<Pair> {
    // Never list the store to anyone: what we hold beyond the seeded set is nobody's business.
  }

  put(cid: CID, bytes: Bytes, options?: AbortOptions): CID | Promise<CID> {
    return this.#store.put(cid, bytes, options);
  }

  async *putMany(
    source: Iterable<InputPair> | AsyncIterable<InputPair>,
    options?: AbortOptions,
  ): AsyncGenerator<CID> {
    yield* this.#store.putMany(source, options);
  }

  delete(cid: CID, options?: AbortOptions): void | Promise<void> {
    return this.#store.delete(cid, options);
  }

  async *deleteMany(source: Iterable<CID> | AsyncIterable<CID>, options?: AbortOptions): AsyncGenerator<CID> {
    yield* this.#store.deleteMany(source, options);
  }
}
