// Chunking a model file into the UnixFS DAG the catalog's CID names (fixed 1 MiB raw leaves, balanced layout,
// CIDv1): used to compute a file's CID for the catalog and to put a verified local file into the blockstore
// so the node can seed it. The importer is Helia's own (ipfs-unixfs-importer); we only pin its parameters.
import { createReadStream } from 'node:fs';
import { fixedSize } from 'ipfs-unixfs-importer/chunker';
import { balanced } from 'ipfs-unixfs-importer/layout';
import { importer, type WritableStorage } from 'ipfs-unixfs-importer';
import type { CID } from 'multiformats/cid';
import { FILE_CHUNK_BYTES, FILE_DAG_MAX_CHILDREN } from '../../../src-shared/network-config/index.ts';

/** Storage that keeps nothing: computing a CID needs the hashes, not the blocks. */
const discard: WritableStorage = { put: (cid: CID) => cid };

/** Chunk `path` into `storage` (or nowhere) and return the root CID. */
export async function importFileDag(
  path: string,
  storage: WritableStorage = discard,
  options: { readonly signal?: AbortSignal } = {},
): Promise<CID> {
  // Read in chunk-sized pieces: the chunker re-slices anyway, and larger reads cost fewer syscalls.
  const content = createReadStream(path, { highWaterMark: FILE_CHUNK_BYTES });
  let root: CID | null = null;
  for await (const entry of importer([{ content }], storage, {
    cidVersion: 1,
    rawLeaves: true,
    reduceSingleLeafToSelf: true,
    chunker: fixedSize({ chunkSize: FILE_CHUNK_BYTES }),
    layout: balanced({ maxChildrenPerNode: FILE_DAG_MAX_CHILDREN }),
    wrapWithDirectory: false,
    ...(options.signal ? { signal: options.signal } : {}),
  })) {
    root = entry.cid;
  }
  if (root === null) throw new Error(`nothing imported from ${path}`);
  return root;
}

/** The catalog CID of a file (`opengateway-node models cid FILE`). */
export async function fileCid(
  path: string,
  options: { readonly signal?: AbortSignal } = {},
): Promise<string> {
  return (await importFileDag(path, discard, options)).toString();
}
