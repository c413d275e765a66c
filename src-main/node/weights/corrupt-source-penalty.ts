// A provider caught sending corrupted model blocks loses gossip score (issue 14 item 3), not only its place as a
// source of this one download: the same peer is then less trusted on every topic and, if it keeps at it,
// graylisted. A peer dropped for being slow or gone loses nothing (it may just be paused or busy).
import { BAD_BLOCK_PENALTY, type PeerPenalties } from '../p2p/peer-penalties.ts';
import type { WeightsService } from './weights-service.ts';

/** Until the returned function is called, every corrupt provider `weights` drops is penalised. */
export function penaliseCorruptSources(weights: WeightsService, penalties: PeerPenalties): () => void {
  const onBadPeer = (event: CustomEvent<{ peerId: string; corrupt: boolean }>) => {
    if (event.detail.corrupt) penalties.penalise(event.detail.peerId, BAD_BLOCK_PENALTY);
  };
  weights.addEventListener('bad-peer', onBadPeer);
  return () => weights.removeEventListener('bad-peer', onBadPeer);
}
