// The content address of a model file in the signed catalog: the root CID of the file as a UnixFS DAG with
// fixed 1 MiB chunks and raw leaves (the layout `opengateway-node models cid FILE` computes). Peers fetch the
// file block by block and every block is checked against its hash, so the only thing the catalog must get
// right is this one root. Parsing is strict: one form (CIDv1, base32), the two codecs the layout produces
// and SHA-256 alone, so no odd CID reaches bitswap or the blockstore.
import { CID } from 'multiformats/cid';
import { NetworkConfigInvalidError } from './errors.ts';

/** Bytes per leaf block: bitswap peers accept blocks up to 2 MiB, and fewer blocks mean fewer round trips. */
export const FILE_CHUNK_BYTES = 1024 * 1024;
/** Links per internal node: 1,024 × 1 MiB leaves per level keeps a 250 GB file two levels deep. */
export const FILE_DAG_MAX_CHILDREN = 1024;

/** Multicodec of a raw block (a leaf: the file's bytes as they are). */
export const RAW_CODEC = 0x55;
/** Multicodec of a dag-pb block (an internal UnixFS node linking to leaves). */
export const DAG_PB_CODEC = 0x70;
const SHA2_256 = 0x12;
const CID_TEXT = /^b[a-z2-7]{58,100}$/;

/** Check a catalog CID: CIDv1 in base32, SHA-256, raw for a file of one chunk and dag-pb otherwise. */
export function parseFileCid(value: unknown, path: string, sizeBytes: number): string {
  if (typeof value !== 'string') throw new NetworkConfigInvalidError(path, 'must be a string');
  if (!CID_TEXT.test(value))
    throw new NetworkConfigInvalidError(path, 'must be a CIDv1 in base32 (b…, lower case)');
  let cid: CID;
  try {
    cid = CID.parse(value);
  } catch {
    throw new NetworkConfigInvalidError(path, 'is not a valid CID');
  }
  if (cid.version !== 1) throw new NetworkConfigInvalidError(path, 'must be a CIDv1');
  if (cid.multihash.code !== SHA2_256 || cid.multihash.size !== 32)
    throw new NetworkConfigInvalidError(path, 'must be hashed with SHA-256');
  const expected = sizeBytes <= FILE_CHUNK_BYTES ? RAW_CODEC : DAG_PB_CODEC;
  if (cid.code !== expected)
    throw new NetworkConfigInvalidError(
      path,
      expected === RAW_CODEC
        ? 'a file of one chunk has a raw CID (bafk…)'
        : 'a file of more than one chunk has a dag-pb CID (bafy…)',
    );
  // Round trip: the text must be the CID's one canonical spelling.
  if (cid.toString() !== value) throw new NetworkConfigInvalidError(path, 'is not in canonical form');
  return value;
}
