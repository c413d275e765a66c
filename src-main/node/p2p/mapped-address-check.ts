// A fresh UPnP port mapping, checked at once. @libp2p/upnp-nat adds the mapped address unverified and only
// AutoNAT verifies it, by asking a peer to dial it back. AutoNAT asks only when a connection to a peer opens
// (and its periodic random walk only dials peers it is not connected to yet). A node at home is connected to its
// bootstrap nodes before its gateway has even answered the SSDP search, so its mapped address waited for the
// next new direct connection — in a small network for good (the NAT lab saw no announcement in 150 s) — and
// the node stayed reachable through relays only. So once a port is mapped, AutoNAT is run over the direct
// connections the node already has (a peer verifies only addresses at the IP it sees us at: the relay does).
import type { Connection, PeerStore } from '@libp2p/interface';

/** AutoNAT v1's protocol (libp2p's default prefix). */
export const AUTONAT_PROTOCOL = '/libp2p/autonat/1.0.0';

/** The part of @libp2p/autonat's service this uses: what it runs for every new connection. */
export interface ConnectionAddressVerifier {
  verifyExternalAddresses(connection: Connection): Promise<void>;
}

/** Whether `service` (libp2p's AutoNAT service) can be asked to verify over a given connection. */
export function isConnectionAddressVerifier(service: unknown): service is ConnectionAddressVerifier {
  return (
    typeof service === 'object' &&
    service !== null &&
    typeof (service as Partial<ConnectionAddressVerifier>).verifyExternalAddresses === 'function'
  );
}

/**
 * Direct connections a dial-back check can use: open, not limited (a relayed circuit), and to a peer's IP
 * address (not a WebRTC connection, whose remote address names no IP the peer could compare with ours).
 */
export function canCheckOver(connection: Connection): boolean {
  const address = connection.remoteAddr.toString();
  return (
    connection.status === 'open' &&
    connection.limits === undefined &&
    /^\/ip[46]\//.test(address) &&
    !address.includes('/p2p-circuit') &&
    !address.includes('/webrtc')
  );
}

/**
 * Asks AutoNAT to verify this node's unverified addresses over every direct connection to a peer that runs
 * AutoNAT; the number of connections asked. Failures are AutoNAT's to log (a peer that refuses is one vote).
 */
export async function checkOverOpenConnections(
  node: { getConnections(): Connection[]; readonly peerStore: PeerStore },
  verifier: ConnectionAddressVerifier,
): Promise<number> {
  let asked = 0;
  for (const connection of node.getConnections()) {
    if (!canCheckOver(connection)) continue;
    const protocols = await node.peerStore
      .get(connection.remotePeer)
      .then((peer) => peer.protocols)
      .catch(() => [] as string[]);
    if (!protocols.includes(AUTONAT_PROTOCOL)) continue;
    verifier.verifyExternalAddresses(connection).catch(() => {
      // AutoNAT logs its own failures; an unverified address just stays unannounced.
    });
    asked += 1;
  }
  return asked;
}
