// The IP addresses a peer's direct connections to this node come from, as this node's own sockets see them
// (not anything the peer says): what a member's claim to own an EXO node is checked against (shard-shares.ts).
// Relayed connections are left out, their remote address being the relay's.
import { peerIdFromString } from '@libp2p/peer-id';
import type { PeerId } from '@libp2p/interface';
import { ipOfMultiaddr } from '../engine/exo/exo-topology.ts';
import type { MemberAddresses } from './shard-shares.ts';

/** The part of a libp2p node this needs. */
export interface ConnectionSource {
  getConnections(peerId?: PeerId): ReadonlyArray<{ readonly remoteAddr: { toString(): string } }>;
}

export function connectionAddresses(host: ConnectionSource): MemberAddresses {
  return (peerId) => {
    let peer: PeerId;
    try {
      peer = peerIdFromString(peerId);
    } catch {
      return [];
    }
    const addresses = new Set<string>();
    for (const connection of host.getConnections(peer)) {
      const remote = connection.remoteAddr.toString();
      if (remote.includes('/p2p-circuit')) continue;
      const ip = ipOfMultiaddr(remote);
      if (ip !== null) addresses.add(ip);
    }
    return [...addresses];
  };
}
