// What a P2pService is asked to be: every option the node, the tests and the NAT lab pass to it. Kept apart
// from the service so the option builders can read it without importing the service.

/** The p2p service's options, all optional. */
export interface P2pInit {
  /** Listen multiaddrs; `/p2p-circuit` makes the node reachable through relays. */
  readonly listen?: readonly string[];
  /** Bootstrap multiaddrs, each with /p2p/<peer id>. */
  readonly bootstrap?: readonly string[];
  /** Run the circuit relay v2 server (bootstrap/relay nodes on public addresses). */
  readonly relayServer?: boolean;
  /**
   * Loopback/LAN operation (tests, devnets): keep private addresses in the DHT, act as a DHT server, exempt
   * 127.0.0.1 from the IP-colocation penalty, raise the per-IP connection rate limits.
   */
  readonly privateNetwork?: boolean;
  /** Ask the LAN gateway for a port mapping. Off in tests: UPnP multicasts on the LAN. */
  readonly upnp?: boolean;
  /**
   * UPnP device descriptor URLs (`http://192.168.1.1:5000/rootDesc.xml`) to use instead of an SSDP search,
   * for gateways that do not answer M-SEARCH.
   */
  readonly upnpGateways?: readonly string[];
  /** How often to ask the gateway for its external address (libp2p's default: 30 s). */
  readonly upnpAddressCheckMs?: number;
  /** Run AutoNAT and DCUtR. */
  readonly natTraversal?: boolean;
  /**
   * WebRTC private-to-private: after a relayed connection, punch a direct UDP path (webrtc-transport.ts).
   * Default: on for a node behind NAT (NAT traversal on, not local-only, not a private network, not a relay).
   */
  readonly webrtc?: boolean;
  /**
   * STUN servers for WebRTC's ICE, `stun:<ip>:<port>`. Default: the bootstrap nodes' (stun-servers.ts).
   * Never the library's public defaults; empty means host candidates only.
   */
  readonly iceServers?: readonly string[];
  /** Answer STUN on UDP at each TCP listen address (default: when running the relay server). */
  readonly stunResponder?: boolean;
  readonly dht?: boolean;
  /** Topics whose validator rejects must lower the sender's score. */
  readonly scoredTopics?: readonly string[];
  /** Local reputation of a peer (-1…1, the ledger's), added to its gossip score. */
  readonly reputation?: (peerId: string) => number;
  /** Gossip score points a peer lost outside gossip (peer-penalties.ts), subtracted from its score. */
  readonly penalty?: (peerId: string) => number;
  /** When set, gossipsub ignores subscriptions to any other topic (bounds what peers can make us track). */
  readonly allowedTopics?: readonly string[];
  /** gossipsub's mesh maintenance interval. */
  readonly gossipHeartbeatMs?: number;
  readonly maxConnections?: number;
  /** Peer IPs exempt from gossipsub's colocation penalty (our relays, CGNAT gateways). */
  readonly colocationWhitelist?: readonly string[];
  /** First retry delay while no bootstrap node is connected; doubles up to a minute. */
  readonly bootstrapRetryMs?: number;
  /**
   * Find peers on the local network by mDNS (multicast on every interface: never on a build machine's own
   * interfaces, only inside a test's network namespaces).
   */
  readonly mdns?: boolean;
  /** mDNS query interval (libp2p's default: 10 s). */
  readonly mdnsIntervalMs?: number;
  /**
   * Nothing leaves the machine (OPENGATEWAY_LOCAL_ONLY): dials only to loopback, no name resolution, no
   * UPnP, no mDNS, whatever the other options say.
   */
  readonly localOnly?: boolean;
  /**
   * Addresses this node is reachable at as they are (relay/bootstrap servers with public addresses). They
   * are announced as verified, so peers are never asked to dial back to check them.
   */
  readonly announce?: readonly string[];
}
