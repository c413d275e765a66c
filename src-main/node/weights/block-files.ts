// The blockstore on disk: blockstore-fs (one file per block, written atomically, the same layout on disk),
// with each block read in one piece. blockstore-fs streams a block in 64 KiB chunks: 16 reads, 16 turns of
// the event loop and 16 trips through the upload cap per 1 MiB leaf, for every leaf a seeder sends and every
// leaf a fetcher reads back to assemble the file. On a loaded machine each turn is a wait for the CPU.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { AbortOptions } from '@libp2p/interface';
import { FsBlockstore } from 'blockstore-fs';
import { NextToLast } from 'blockstore-fs/sharding';
import { NotFoundError } from 'interface-store';
import type { CID } from 'multiformats/cid';

export class BlockFiles extends FsBlockstore {
  readonly #sharding: NextToLast;

  constructor(location: string) {
    // blockstore-fs's default sharding, held here too so a block's file can be named.
    const sharding = new NextToLast();
    super(location, { shardingStrategy: sharding });
    this.#sharding = sharding;
  }

  override async *get(key: CID, options?: AbortOptions): AsyncGenerator<Uint8Array> {
    const { dir, file } = this.#sharding.encode(key);
    let bytes: Uint8Array;
    try {
      bytes = await readFile(join(this.path, dir, file), options?.signal ? { signal: options.signal } : {});
    } catch (error) {
      options?.signal?.throwIfAborted();
      throw new NotFoundError(String(error));
    }
    yield bytes;
  }
}
