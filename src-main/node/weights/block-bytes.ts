// A stored block's bytes in one piece (blockstores hand them out as a stream of chunks).
import type { Blockstore } from 'interface-blockstore';
import type { CID } from 'multiformats/cid';

export async function readBlock(store: Blockstore, cid: CID): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of store.get(cid)) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}
