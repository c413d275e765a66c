// The DHT key under which a node says it holds a model file: the file's root CID scoped to the node's region,
// so a node finds (and is found by) the holders of its own region only (issue 14: seeding stays within the
// region; a region's peers are near each other, other regions' are not). Any node computes the key from the
// catalog's CID and its region, without asking anyone.
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';

/** CIDv1 (raw) of sha256("/og/2/<region>/weights/<root CID>"). */
export async function weightsProviderKey(region: string, root: CID): Promise<CID> {
  const name = new TextEncoder().encode(`/og/2/${region}/weights/${root.toString()}`);
  return CID.createV1(raw.code, await sha256.digest(name));
}
