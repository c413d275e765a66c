// Where each leaf block of a model file sits: walks the file's UnixFS DAG from the catalog's root CID and
// returns the leaves in file order with their offsets. Every internal node arrives hash-verified (bitswap
// checks blocks by CID), but its content is still a stranger's: sizes must add up to the catalog's size,
// links must be the codecs our layout makes, and the depth and fan-out stay within what the layout produces.
import * as dagPb from '@ipld/dag-pb';
import { UnixFS } from 'ipfs-unixfs';
import type { CID } from 'multiformats/cid';
import {
  DAG_PB_CODEC,
  FILE_CHUNK_BYTES,
  FILE_DAG_MAX_CHILDREN,
  RAW_CODEC,
} from '../../../src-shared/network-config/index.ts';
import { WeightsDagInvalidError } from './errors.ts';

/** One leaf: the file's bytes [offset, offset + size) are exactly this raw block. */
export interface FileLeaf {
  readonly cid: CID;
  readonly offset: number;
  readonly size: number;
}

/** Reads one block by CID (locally or from peers); the block's hash has been checked by then. */
export type BlockReader = (cid: CID) => Promise<Uint8Array>;

/** Three levels of 1,024 links cover 1 PiB of 1 MiB chunks: anything deeper is not our layout. */
const MAX_DEPTH = 3;
const SHA2_256 = 0x12;

/**
 * The leaves of the file rooted at `root`, in order, checked against `sizeBytes`. `prefixOnly`: a block
 * `read` cannot give ends the walk instead of failing it, and the leaves before it are returned (the file's
 * known beginning, from a partly stored DAG).
 */
export async function fileLayout(
  fileName: string,
  root: CID,
  sizeBytes: number,
  read: BlockReader,
  options: { readonly prefixOnly?: boolean } = {},
): Promise<FileLeaf[]> {
  const leaves: FileLeaf[] = [];
  const maxLeaves = Math.ceil(sizeBytes / FILE_CHUNK_BYTES);
  const invalid = (problem: string) => new WeightsDagInvalidError(fileName, problem);

  let cut = false;
  const walk = async (cid: CID, offset: number, size: number, depth: number): Promise<void> => {
    if (cut) return;
    if (cid.version !== 1 || cid.multihash.code !== SHA2_256) throw invalid('a link is not a CIDv1 SHA-256');
    if (cid.code === RAW_CODEC) {
      if (size < 1 || size > FILE_CHUNK_BYTES) throw invalid(`a leaf of ${size} bytes`);
      if (leaves.length >= maxLeaves) throw invalid('more leaves than the file has chunks');
      leaves.push({ cid, offset, size });
      return;
    }
    if (cid.code !== DAG_PB_CODEC) throw invalid(`a block of codec 0x${cid.code.toString(16)}`);
    if (depth >= MAX_DEPTH) throw invalid('the DAG is deeper than the layout makes it');
    let block: Uint8Array;
    try {
      block = await read(cid);
    } catch (error) {
      if (options.prefixOnly !== true) throw error;
      cut = true;
      return;
    }
    let node: dagPb.PBNode;
    let unixfs: UnixFS;
    try {
      node = dagPb.decode(block);
      if (node.Data === undefined) throw new Error('no data');
      unixfs = UnixFS.unmarshal(node.Data);
    } catch {
      throw invalid('an internal node does not decode');
    }
    if (unixfs.type !== 'file') throw invalid(`a node of type ${unixfs.type}`);
    if ((unixfs.data?.byteLength ?? 0) > 0) throw invalid('a node holds file bytes itself');
    const links = node.Links;
    if (links.length === 0 || links.length > FILE_DAG_MAX_CHILDREN) throw invalid(`${links.length} links`);
    if (unixfs.blockSizes.length !== links.length) throw invalid('block sizes do not match the links');
    let total = 0;
    for (const blockSize of unixfs.blockSizes) {
      if (blockSize < 1n || blockSize > BigInt(sizeBytes)) throw invalid('a block size out of range');
      total += Number(blockSize);
    }
    if (total !== size) throw invalid(`a node covers ${total} bytes where ${size} are expected`);
    let at = offset;
    for (const [index, link] of links.entries()) {
      const childSize = Number(unixfs.blockSizes[index]!);
      await walk(link.Hash, at, childSize, depth + 1);
      at += childSize;
    }
  };

  await walk(root, 0, sizeBytes, 0);
  // Fixed-size chunking: every leaf but the last is exactly one chunk.
  for (const [index, leaf] of leaves.entries()) {
    if (index < leaves.length - 1 && leaf.size !== FILE_CHUNK_BYTES)
      throw invalid('the chunks are not of the fixed size');
  }
  return leaves;
}
