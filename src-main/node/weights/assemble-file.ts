// Writes a model file from its verified leaves: each leaf is re-checked against its CID as it is read back
// (a block can rot on disk between runs), the whole file is hashed as it is written, and only a file whose
// SHA-256 is the catalog's is synced and renamed into place. The engine never sees anything else.
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
 * Write `leaves` to `path`. Returns the number of stored leaves that failed their hash (deleted from the
 * store, nothing written: fetch them again); throws ModelHashMismatchError when the file's SHA-256 is wrong.
 */
export async function assembleFile(
  store: Blockstore,
  file: GgufFile,
  leaves: readonly FileLeaf[],
  path: string,
): Promise<number> {
  const part = partialPath(path);
  const whole = createHash('sha256');
  let damaged = 0;
  const handle = await open(part, 'w', 0o644);
  try {
    for (const leaf of leaves) {
      const chunks: Uint8Array[] = [];
      try {
        for await (const chunk of store.get(leaf.cid)) chunks.push(chunk);
      } catch {
        damaged++;
        continue;
      }
      const bytes = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      const digest = createHash('sha256').update(bytes).digest();
      if (bytes.byteLength !== leaf.size || !digest.equals(leaf.cid.multihash.digest)) {
        damaged++;
        await store.delete(leaf.cid);
        continue;
      }
      if (damaged > 0) continue; // Keep checking the rest, write nothing more.
      await handle.write(bytes, 0, bytes.byteLength, leaf.offset);
      whole.update(bytes);
    }
    if (damaged === 0) await handle.sync();
  } finally {
    await handle.close();
  }
  if (damaged > 0) {
    await rm(part, { force: true });
    return damaged;
  }
  const actual = whole.digest('hex');
  if (actual !== file.sha256) {
    await rm(part, { force: true });
    throw new ModelHashMismatchError(file.name, file.sha256, actual);
  }
  await rename(part, path);
  await syncDirectory(dirname(path));
  return 0;
}
