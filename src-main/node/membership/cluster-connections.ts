// Direct connections to live members of the region's clusters. A node that only reaches the bootstrap node
// gets heartbeats only while it sits in the bootstrap node's mesh (at most Dhi peers), so each beat it dials
// a couple of members it is not connected to, until it has its target.
import type { PeerId } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import type { OgLibp2p } from '../p2p/p2p-service.ts';

/** Dials per heartbeat while below the cluster peer target: bounded, so a join does not storm the network. */
const MAX_DIALS_PER_BEAT = 2;

export class ClusterConnections {
  readonly #libp2p: OgLibp2p;
  readonly #peerTarget: number;
  readonly #dialing = new Set<string>();
  #lookingUp = false;

  constructor(libp2p: OgLibp2p, peerTarget: number) {
    this.#libp2p = libp2p;
    this.#peerTarget = peerTarget;
  }

  /**
   * Keep a few direct connections to live members of the region's clusters. A node that only reaches the
   * bootstrap node gets heartbeats only while it sits in the bootstrap node's mesh (at most Dhi peers), so
   * each beat it dials a couple of members it is not connected to, until it has `clusterPeerTarget`.
   */
  maintain(live: ReadonlySet<string>): void {
    const libp2p = this.#libp2p;
    const connected = new Set(libp2p.getPeers().map((peer) => peer.toString()));
    let have = 0;
    const candidates: string[] = [];
    for (const peerId of live) {
      if (connected.has(peerId)) have += 1;
      else if (!this.#dialing.has(peerId)) candidates.push(peerId);
    }
    const wanted = Math.min(this.#peerTarget - have, MAX_DIALS_PER_BEAT);
    if (wanted <= 0) return;
    if (candidates.length >= wanted) {
      for (let i = 0; i < wanted; i += 1)
        this.#dial(candidates.splice(randomIndex(candidates.length), 1)[0]!);
      return;
    }
    for (const peerId of candidates) this.#dial(peerId);
    // Too few members known to dial: a node that only reaches the bootstrap node may hear no heartbeat at all.
    // Peers the DHT told us about (their addresses are in the peer store) get it out of that corner.
    if (connected.size >= this.#peerTarget) return;
    void libp2p.peerStore
      .all()
      .then((peers) => {
        const unknown = peers
          .map((peer) => peer.id.toString())
          .filter((id) => id !== libp2p.peerId.toString() && !connected.has(id) && !this.#dialing.has(id));
        for (let i = 0; i < wanted - candidates.length && unknown.length > 0; i += 1)
          this.#dial(unknown.splice(randomIndex(unknown.length), 1)[0]!);
        if (unknown.length === 0) this.#lookUpNeighbours();
      })
      .catch(() => {
        // The node is stopping.
      });
  }

  /** Ask the DHT for the peers closest to us: the lookup itself connects us to some of them. */
  #lookUpNeighbours(): void {
    if (this.#lookingUp) return;
    this.#lookingUp = true;
    const libp2p = this.#libp2p;
    void (async () => {
      try {
        const signal = AbortSignal.timeout(10_000);
        for await (const peer of libp2p.peerRouting.getClosestPeers(libp2p.peerId.toMultihash().bytes, {
          signal,
        })) {
          if (!libp2p.getPeers().some((connected) => connected.equals(peer.id)))
            this.#dial(peer.id.toString());
        }
      } catch {
        // No DHT, no answer in time, or the node is stopping: the next beat tries again.
      } finally {
        this.#lookingUp = false;
      }
    })();
  }

  #dial(peerId: string): void {
    let target: PeerId;
    try {
      target = peerIdFromString(peerId);
    } catch {
      return;
    }
    this.#dialing.add(peerId);
    this.#libp2p
      .dial(target, { signal: AbortSignal.timeout(10_000) })
      .catch(() => {
        // Unreachable members are still reachable through the mesh; the dial was only an optimisation.
      })
      .finally(() => this.#dialing.delete(peerId));
  }
}

function randomIndex(length: number): number {
  return Math.floor(Math.random() * length);
}
