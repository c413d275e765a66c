// Verified blocks are not thrown away when a file falls back to a whole-file HTTP download (no peer has its
// DAG, or the origin answers no range requests): the leaves stored from the start of the file on, each
// checked against its CID again, are written into the download's partial file, and the download resumes
// after them with one Range request. Leaves stored beyond the first gap are not used (the HTTP download is
// sequential); they stay in the store for the next peer fetch.
import { createHash } from 'node:crypto';
import { open, stat } from 'node:fs/promises';
import type { Blockstore } from 'interface-blockstore';
import { CID } from 'multiformats/cid';
import { partialPath } from '../models/download-file.ts';
import { readBlock } from './block-bytes.ts';
import { fileLayout } from './file-layout.ts';

/** Write the file's verified stored beginning into `path`'s partial file; returns its length in bytes. */
export async function salvagePrefix(
  store: Blockstore,
  file: { readonly name: string; readonly cid: string; readonly sizeBytes: number },
  path: string,
): Promise<number> {
  const local = async (cid: CID) => readBlock(store, cid);
  const leaves = await fileLayout(file.name, CID.parse(file.cid), file.sizeBytes, local, {
    prefixOnly: true,
  });
  const part = partialPath(path);
  const have = await stat(part).then(
    (info) => info.size,
    () => 0,
  );
  if (have > file.sizeBytes) return have; // Not ours to judge: the download starts that one over.
  let end = 0;
  const handle = await open(part, have > 0 ? 'r+' : 'w', 0o644);
  try {
    for (const leaf of leaves) {
      if (leaf.offset !== end) break;
      const leafEnd = leaf.offset + leaf.size;
      if (leafEnd <= have) {
        end = leafEnd; // Already in the partial file (its bytes are judged by the file's hash).
        continue;
      }
      let bytes: Uint8Array;
      try {
        bytes = await readBlock(store, leaf.cid);
      } catch {
        break;
      }
      const digest = createHash('sha256').update(bytes).digest();
      if (bytes.byteLength !== leaf.size || !digest.equals(leaf.cid.multihash.digest)) break;
      await handle.write(bytes, 0, bytes.byteLength, leaf.offset);
      end = leafEnd;
    }
  } finally {
    await handle.close();
  }
  return Math.max(end, have);
}
