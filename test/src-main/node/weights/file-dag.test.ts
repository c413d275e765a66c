import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBlockstore } from 'blockstore-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WeightsDagInvalidError } from '../../../../src-main/node/weights/errors.ts';
import { fileCid, importFileDag } from '../../../../src-main/node/weights/file-dag.ts';
import { fileLayout } from '../../../../src-main/node/weights/file-layout.ts';
import { FILE_CHUNK_BYTES } from '../../../../src-shared/network-config/index.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-file-dag-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a model file as a UnixFS DAG', () => {
  it('has a stable CID for the same bytes (1 MiB raw leaves, CIDv1)', async () => {
    const path = join(dir, 'm.gguf');
    await writeFile(path, Buffer.alloc(3 * FILE_CHUNK_BYTES + 5, 7));
    expect(await fileCid(path)).toBe('bafybeigyhs7r7fvlb4xfd33x6ezkkxosxild6l3w44qbnsdvtq7ejh6ua4');
    await writeFile(path, Buffer.alloc(100, 7));
    expect(await fileCid(path)).toBe('bafkreigyo2efw72a5ltqxupver5jqverj6syclhghgmofweuu2hbq6lhzm');
  });

  it('lays out its leaves in order with their offsets, and refuses a DAG for another size', async () => {
    const path = join(dir, 'm.gguf');
    const size = 3 * FILE_CHUNK_BYTES + 5;
    await writeFile(path, Buffer.alloc(size, 9));
    const store = new MemoryBlockstore();
    const root = await importFileDag(path, store);
    const read = async (cid: Parameters<typeof store.get>[0]) => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of store.get(cid)) chunks.push(chunk);
      return Buffer.concat(chunks);
    };
    const leaves = await fileLayout('m.gguf', root, size, read);
    expect(leaves.map((leaf) => [leaf.offset, leaf.size])).toEqual([
      [0, FILE_CHUNK_BYTES],
      [FILE_CHUNK_BYTES, FILE_CHUNK_BYTES],
      [2 * FILE_CHUNK_BYTES, FILE_CHUNK_BYTES],
      [3 * FILE_CHUNK_BYTES, 5],
    ]);
    await expect(fileLayout('m.gguf', root, size + 1, read)).rejects.toBeInstanceOf(WeightsDagInvalidError);
  });
});
