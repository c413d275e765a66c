// One provider peer as a block source: a bitswap session that asks that peer alone, so the scheduler
// decides who sends what (and can drop a peer) instead of bitswap spreading wants over every connection.
import type { PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { Helia } from 'helia';
import type { CID } from 'multiformats/cid';
import type { WatchedPeer } from './block-arrivals.ts';
import { WeightsPeerRequestError } from './errors.ts';
import type { PeerLeafSource } from './leaf-scheduler.ts';

/** A provider: leaves for the scheduler, and any block (the DAG's internal nodes). */
export interface PeerBlockSource extends PeerLeafSource {
  fetchBlock(cid: CID, signal: AbortSignal): Promise<Uint8Array>;
}

export function peerBlockSource(
  helia: Helia,
  self: PeerId,
  root: CID,
  peerId: string,
  watch: WatchedPeer,
): PeerBlockSource {
  let session: ReturnType<Helia['blockstore']['createSession']> | null = null;
  let peer: PeerId | null;
  try {
    peer = peerIdFromString(peerId);
  } catch {
    peer = null;
  }
  if (peer?.equals(self)) peer = null;
  const fetchBlock = async (cid: CID, signal: AbortSignal): Promise<Uint8Array> => {
    if (peer === null) throw new WeightsPeerRequestError(peerId, 'not a peer id of another node');
    if (watch.misbehaved.aborted) throw watch.misbehaved.reason as Error;
    watch.asked(cid);
    // A session that failed once has evicted its only provider: the next request starts a fresh one.
    const current = (session ??= helia.blockstore.createSession(root, {
      providers: [peer.toCID()],
      minProviders: 1,
      maxProviders: 1,
    }));
    try {
      const chunks: Uint8Array[] = [];
      const request = AbortSignal.any([signal, watch.misbehaved]);
      for await (const chunk of current.get(cid, { signal: request })) chunks.push(chunk);
      return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
    } catch (error) {
      // The failed session evicted its provider; requests still running on it finish there, new ones
      // start a fresh session (closing it here would abort those too).
      if (session === current) session = null;
      if (signal.aborted) throw error;
      if (watch.misbehaved.aborted) throw watch.misbehaved.reason as Error;
      throw new WeightsPeerRequestError(peerId, describe(error), { cause: error });
    }
  };
  return {
    peerId,
    misbehaved: watch.misbehaved,
    fetchBlock,
    fetch: async (leaf, signal) => {
      await fetchBlock(leaf.cid, signal);
    },
  };
}

/** Bitswap's failures, in words (its errors are often bare: "Provider did not have block"). */
function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const message = error.message.trim();
  return message === '' ? error.name : message;
}
