// Assembling a model file from stored leaves (real files, the on-disk blockstore): the file appears only with
// the catalog's SHA-256; a leaf that rotted on disk is found, deleted and reported (to be fetched again) with
// nothing left at the path; a catalog hash that matches no arrangement of sound leaves is an error.
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CID } from 'multiformats/cid';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ModelHashMismatchError } from '../../../../src-main/node/models/errors.ts';
import { assembleFile } from '../../../../src-main/node/weights/assemble-file.ts';
import { readBlock } from '../../../../src-main/node/weights/block-bytes.ts';
import { BlockFiles } from '../../../../src-main/node/weights/block-files.ts';
import { importFileDag } from '../../../../src-main/node/weights/file-dag.ts';
import { fileLayout, type FileLeaf } from '../../../../src-main/node/weights/file-layout.ts';
import { FILE_CHUNK_BYTES } from '../../../../src-shared/network-config/index.ts';

let dir: string;
let store: BlockFiles;
let leaves: FileLeaf[];
let bytes: Buffer;
const file = () => ({
  name: 'm.gguf',
  urls: [],
  sizeBytes: bytes.byteLength,
  sha256: createHash('sha256').update(bytes).digest('hex'),
});

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-assemble-'));
  bytes = randomBytes(3 * FILE_CHUNK_BYTES + 777);
  await writeFile(join(dir, 'source.gguf'), bytes);
  store = new BlockFiles(join(dir, 'blocks'));
  await store.open();
  const root = await importFileDag(join(dir, 'source.gguf'), store);
  leaves = await fileLayout('m.gguf', root, bytes.byteLength, (cid: CID) => readBlock(store, cid));
});
afterEach(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

describe('assembleFile', () => {
  it('writes the file when its SHA-256 is the catalog’s', async () => {
    const out = join(dir, 'out.gguf');
    expect(await assembleFile(store, file(), leaves, out)).toBe(0);
    expect((await readFile(out)).equals(bytes)).toBe(true);
  });

  it('finds a leaf that rotted on disk (same size, other bytes), deletes it and writes nothing', async () => {
    const rotten = leaves[1]!;
    const wrong = Buffer.from(await readBlock(store, rotten.cid));
    wrong[10] = wrong[10]! ^ 0x01;
    await store.put(rotten.cid, wrong);
    const out = join(dir, 'out.gguf');
    expect(await assembleFile(store, file(), leaves, out)).toBe(1);
    expect(await store.has(rotten.cid)).toBe(false);
    expect(await store.has(leaves[0]!.cid)).toBe(true);
    expect(await exists(out)).toBe(false);
    expect(await exists(`${out}.part`)).toBe(false);
  });

  it('counts a missing leaf as damaged', async () => {
    await store.delete(leaves[2]!.cid);
    expect(await assembleFile(store, file(), leaves, join(dir, 'out.gguf'))).toBe(1);
  });

  it('refuses a file whose sound leaves do not hash to the catalog’s SHA-256', async () => {
    const out = join(dir, 'out.gguf');
    await expect(assembleFile(store, { ...file(), sha256: 'ab'.repeat(32) }, leaves, out)).rejects.toThrow(
      ModelHashMismatchError,
    );
    expect(await exists(out)).toBe(false);
    // Nothing was deleted: every leaf is sound.
    for (const leaf of leaves) expect(await store.has(leaf.cid)).toBe(true);
  });
});
