// DHT provider records for `<region>/<tier>` (issue 16): a member provides the cluster's key, a newcomer asks
// the DHT for providers to seed its sample. The key is a CID of the cluster's name, so any node computes it
// without asking anyone; the records say only "this peer serves the cluster" (its state comes from its ack).
import type { Libp2p } from '@libp2p/interface';
import { CID } from 'multiformats/cid';
import * as raw from 'multiformats/codecs/raw';
import { sha256 } from 'multiformats/hashes/sha2';
import type { ClusterId } from '../../../src-shared/protocol/protocol-ids.ts';

/** How long one provider lookup may take before the seeds found so far are used. */
export const FIND_PROVIDERS_TIMEOUT_MS = 10_000;

/** The DHT key of a cluster: CIDv1 (raw) of sha256("/og/2/<region>/<tier>/members"). */
export async function clusterProviderKey(cluster: ClusterId): Promise<CID> {
  const name = new TextEncoder().encode(`/og/2/${cluster.region}/${cluster.tier}/members`);
  return CID.createV1(raw.code, await sha256.digest(name));
}

/** Advertise this node as a member (and keep the record republished); false with no DHT or no peers yet. */
export async function provideCluster(
  libp2p: Libp2p,
  cluster: ClusterId,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await libp2p.contentRouting.provide(await clusterProviderKey(cluster), signal ? { signal } : {});
    return true;
  } catch {
    // No DHT configured, no DHT peers yet, or stopping: seeds still come from connected peers.
    return false;
  }
}

/** Stop republishing this node's record (it expires on its own). */
export async function unprovideCluster(libp2p: Libp2p, cluster: ClusterId): Promise<void> {
  try {
    await libp2p.contentRouting.cancelReprovide(await clusterProviderKey(cluster));
  } catch {
    // Never provided, or no DHT: nothing to cancel.
  }
}

/** Up to `limit` peers that provide the cluster's key (self excluded); what was found when the time is up. */
export async function findClusterProviders(
  libp2p: Libp2p,
  cluster: ClusterId,
  limit: number,
  timeoutMs = FIND_PROVIDERS_TIMEOUT_MS,
): Promise<string[]> {
  const self = libp2p.peerId.toString();
  const found = new Set<string>();
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    for await (const provider of libp2p.contentRouting.findProviders(await clusterProviderKey(cluster), {
      signal,
    })) {
      const id = provider.id.toString();
      if (id === self) continue;
      found.add(id);
      if (found.size >= limit) break;
    }
  } catch {
    // Timed out, no DHT, or no peers: keep what was found.
  }
  return [...found];
}
