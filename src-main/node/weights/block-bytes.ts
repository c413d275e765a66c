// A stored block's bytes in one piece (blockstores hand them out as a stream of chunks), and a stored file's
// blocks.
import type { Blockstore } from 'interface-blockstore';
import type { CID } from 'multiformats/cid';
import { fileLayout } from './file-layout.ts';

export async function readBlock(store: Blockstore, cid: CID): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of store.get(cid)) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/**
 * Every block of a stored file's DAG (the root, the internal nodes as they are read, the leaves), pushed into
 * `found` as discovered: when part of the DAG is missing it throws, and `found` holds what was reached.
 */
export async function collectFileBlocks(
  store: Blockstore,
  file: { readonly name: string; readonly sizeBytes: number },
  root: CID,
  found: CID[],
): Promise<void> {
  found.push(root);
  const leaves = await fileLayout(file.name, root, file.sizeBytes, async (cid) => {
    found.push(cid);
    return readBlock(store, cid);
  });
  found.push(...leaves.map((leaf) => leaf.cid));
}
