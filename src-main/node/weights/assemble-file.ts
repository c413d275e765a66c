// Writes a model file from its stored leaves: the whole file is hashed as it is written, and only a file
// whose SHA-256 is the catalog's is synced and renamed into place. The engine never sees anything else.
// Every leaf was verified against its CID when it was stored; it is checked again only when the file's hash
// is wrong (a block can rot on disk between runs), to find and delete the rotten ones. Checking every leaf
// on every assembly cost a second SHA-256 of the whole file for nothing in the usual case.
import { createHash } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Blockstore } from 'interface-blockstore';
import type { GgufFile } from '../../../src-shared/network-config/index.ts';
import { ModelHashMismatchError } from '../models/errors.ts';
import { partialPath } from '../models/download-file.ts';
import { syncDirectory } from '../storage/atomic-write.ts';
import type { FileLeaf } from './file-layout.ts';

/**
 * Write `leaves` to `path`. Returns the number of stored leaves that are missing or failed their hash
 * (deleted from the store, nothing written: fetch them again); throws ModelHashMismatchError when every leaf
 * is sound and the file's SHA-256 is still not the catalog's.
 */
export async function assembleFile(
  store: Blockstore,
  file: GgufFile,
  leaves: readonly FileLeaf[],
  path: string,
): Promise<number> {
  const part = partialPath(path);
  const whole = createHash('sha256');
  let missing = 0;
  const handle = await open(part, 'w', 0o644);
  try {
    for (const leaf of leaves) {
      const bytes = await readLeaf(store, leaf);
      if (bytes === null) {
        missing++;
        continue;
      }
      if (missing > 0) continue; // Keep looking for the rest, write nothing more.
      await handle.write(bytes, 0, bytes.byteLength, leaf.offset);
      whole.update(bytes);
    }
    if (missing === 0) await handle.sync();
  } finally {
    await handle.close();
  }
  const actual = missing === 0 ? whole.digest('hex') : null;
  if (actual === file.sha256) {
    await rename(part, path);
    await syncDirectory(dirname(path));
    return 0;
  }
  await rm(part, { force: true });
  const damaged = missing + (await deleteRottenLeaves(store, leaves));
  if (damaged > 0) return damaged;
  throw new ModelHashMismatchError(file.name, file.sha256, actual ?? '');
}

/** A stored leaf's bytes, or null (and deleted if present) when it is missing or not its size. */
async function readLeaf(store: Blockstore, leaf: FileLeaf): Promise<Uint8Array | null> {
  const chunks: Uint8Array[] = [];
  try {
    for await (const chunk of store.get(leaf.cid)) chunks.push(chunk);
  } catch {
    return null;
  }
  const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  if (bytes.byteLength === leaf.size) return bytes;
  await store.delete(leaf.cid);
  return null;
}

/** Check every stored leaf against its CID; delete those that fail. Returns how many failed. */
async function deleteRottenLeaves(store: Blockstore, leaves: readonly FileLeaf[]): Promise<number> {
  let rotten = 0;
  for (const leaf of leaves) {
    const bytes = await readLeaf(store, leaf);
    if (bytes === null) continue; // Counted as missing already.
    if (createHash('sha256').update(bytes).digest().equals(leaf.cid.multihash.digest)) continue;
    rotten++;
    await store.delete(leaf.cid);
  }
  return rotten;
}
