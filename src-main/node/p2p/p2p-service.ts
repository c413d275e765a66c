// The p2p service: the node's libp2p instance (DESIGN.md §5). TCP + WebSockets, Noise, Yamux, identify, ping,
// the private DHT, gossipsub with strict signing and scoring, AutoNAT, UPnP, circuit relay v2 (client always,
// server on bootstrap/relay nodes) and DCUtR.
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { autoNAT } from '@libp2p/autonat';
import { bootstrap } from '@libp2p/bootstrap';
import { circuitRelayServer, circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { dcutr } from '@libp2p/dcutr';
import { gossipsub, type GossipSub } from '@libp2p/gossipsub';
import { identify, identifyPush, type Identify } from '@libp2p/identify';
import {
  KEEP_ALIVE,
  TypedEventEmitter,
  type Ed25519PrivateKey,
  type Libp2p,
  type PeerId,
} from '@libp2p/interface';
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht';
import { mdns } from '@libp2p/mdns';
import { ping, type Ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p, type Libp2pOptions } from 'libp2p';
import { KAD_PROTOCOL } from '../../../src-shared/protocol/index.ts';
import { InvalidMultiaddrError, ListenAddressInUseError } from './errors.ts';
import { isLoopbackMultiaddr, loopbackOnlyGater } from './local-only.ts';
import { RELAY_LIMITS } from './relay-limits.ts';
import { peerScoreParams } from './gossip-scoring.ts';
import { ObservedAddressTally, type ObservedAddress } from './observed-address-tally.ts';
import { parseGatewayAddress, uPnPNATReportingExternalAddress } from './upnp-external-address.ts';

/** The gossipsub instance as we use it: the public interface plus the mesh and score inspection it has. */
export interface OgPubSub extends GossipSub {
  getMeshPeers(topic: string): string[];
  getScore(peerId: string): number;
}

export interface OgServices extends Record<string, unknown> {
  pubsub: OgPubSub;
  identify: Identify;
  ping: Ping;
}

export type OgLibp2p = Libp2p<OgServices>;

export interface P2pComponents {
  /** The node's identity key: peer id = ledger account. */
  readonly privateKey: Ed25519PrivateKey;
}

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
  readonly dht?: boolean;
  /** Topics whose validator rejects must lower the sender's score. */
  readonly scoredTopics?: readonly string[];
  /** Local reputation of a peer (-1…1, the ledger's), added to its gossip score. */
  readonly reputation?: (peerId: string) => number;
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

export interface P2pEvents {
  /** A peer told us the address it sees us at (identify). Feeds the geo service's vote. */
  'observed-address': CustomEvent<ObservedAddress>;
  'peer:connect': CustomEvent<PeerId>;
  'peer:disconnect': CustomEvent<PeerId>;
  /**
   * The LAN gateway reported a new external IP over UPnP (the first one, or a change). Feeds the geo
   * service's "upnp" evidence; a private address here means a double NAT, which geo ignores.
   */
  'upnp-address': CustomEvent<string>;
}

type ServiceFactory = NonNullable<Libp2pOptions['services']>[string];

export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws', '/p2p-circuit'] as const;
/** Largest gossip message we accept at all; protocol codecs apply their own, smaller limits. */
export const MAX_GOSSIP_DATA_BYTES = 64 * 1024;

export class P2pService extends TypedEventEmitter<P2pEvents> {
  readonly #components: P2pComponents;
  readonly #init: P2pInit;
  #node: OgLibp2p | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #bootstrapAttempts = 0;
  #nextBootstrapAt = 0;
  #upnpAddress: string | null = null;
  /** Gateway answers count from the start of libp2p (which asks the gateway at once) until stop. */
  #acceptGatewayAnswers = false;
  readonly #tally = new ObservedAddressTally((observation) =>
    this.safeDispatchEvent('observed-address', { detail: observation }),
  );

  constructor(components: P2pComponents, init: P2pInit = {}) {
    super();
    this.#components = components;
    this.#init = init;
  }

  async start(): Promise<void> {
    if (this.#node !== null) return;
    const init = this.#init;
    const listen = withRelayReachability(init.listen ?? DEFAULT_LISTEN, init.relayServer ?? false);
    const announce = [...(init.announce ?? [])];
    for (const address of announce) parseMultiaddr(address, 'announce');
    const localOnly = init.localOnly ?? false;
    const bootstrapList = [...(init.bootstrap ?? [])].filter(
      // Local-only: a name would be resolved and anything else would leave the machine.
      (address) => !localOnly || isLoopbackMultiaddr(parseMultiaddr(address, 'bootstrap')),
    );
    const privateNetwork = init.privateNetwork ?? false;
    const colocationWhitelist = [
      ...(init.colocationWhitelist ?? []),
      ...(privateNetwork ? ['127.0.0.1', '::1'] : []),
    ];

    const services: NonNullable<Libp2pOptions['services']> = {
      identify: identify(),
      identifyPush: identifyPush(),
      ping: ping(),
      pubsub: gossipsub({
        allowPublishToZeroTopicPeers: true,
        ignoreDuplicatePublishError: true,
        emitSelf: false,
        // Members behind NAT reach each other through relays (limited circuits) until DCUtR goes direct.
        runOnLimitedConnection: true,
        fastMsgIdFn: (message) =>
          `${Buffer.from(message.from ?? []).toString('base64')}:${Buffer.from(message.seqno ?? []).toString('base64')}`,
        heartbeatInterval: init.gossipHeartbeatMs ?? 1000,
        maxInboundDataLength: MAX_GOSSIP_DATA_BYTES,
        scoreParams: peerScoreParams(init.scoredTopics ?? [], colocationWhitelist, init.reputation),
        // Peer exchange helps joiners find cluster members; only well-connected relays hand it out.
        doPX: init.relayServer ?? false,
        ...(init.allowedTopics ? { allowedTopics: [...init.allowedTopics] } : {}),
      }),
    };
    if (init.dht ?? true) {
      // kad-dht needs the ping service from the components; it is registered above, which the types cannot see.
      services.dht = kadDHT({
        protocol: KAD_PROTOCOL,
        // A private address is useless to a peer across the internet, but it is all a devnet has.
        peerInfoMapper: privateNetwork ? passthroughMapper : removePrivateAddressesMapper,
        // Auto mode only becomes a server with a public address; relays and devnet nodes must serve.
        ...(privateNetwork || init.relayServer ? { clientMode: false } : {}),
      }) as unknown as ServiceFactory;
    }
    if (init.relayServer) {
      // Default relay limits (128 KiB, 2 min) cut inference responses; ours carry a whole chat, no more.
      services.relay = circuitRelayServer({
        reservations: {
          maxReservations: 512,
          applyDefaultLimit: true,
          defaultDataLimit: RELAY_LIMITS.dataBytes,
          defaultDurationLimit: RELAY_LIMITS.durationMs,
        },
      });
    }
    if (init.natTraversal ?? true) {
      services.autoNAT = autoNAT();
      services.dcutr = dcutr();
    }
    if ((init.upnp ?? false) && !localOnly) {
      services.upnp = uPnPNATReportingExternalAddress(
        {
          ...(init.upnpGateways ? { gateways: [...init.upnpGateways] } : {}),
          ...(init.upnpAddressCheckMs ? { externalAddressCheckInterval: init.upnpAddressCheckMs } : {}),
        },
        (reported) => this.#onGatewayAddress(reported),
      );
    }

    const busyServer = privateNetwork || (init.relayServer ?? false);
    const peerDiscovery: NonNullable<Libp2pOptions['peerDiscovery']> = [];
    // @libp2p/bootstrap needs a peer id in each address; a bare `/dnsaddr/` name (whose TXT records carry
    // the peer ids) is dialled by #keepBootstrapped alone.
    const withPeerId = bootstrapList.filter((address) => address.includes('/p2p/'));
    if (withPeerId.length > 0) peerDiscovery.push(bootstrap({ list: withPeerId, timeout: 0 }));
    if ((init.mdns ?? false) && !localOnly) {
      const discover = mdns({
        serviceTag: MDNS_SERVICE_TAG,
        ...(init.mdnsIntervalMs ? { interval: init.mdnsIntervalMs } : {}),
      });
      // libp2p does not dial what discovery finds; a LAN peer is worth a connection (that is the point).
      peerDiscovery.push((components) => {
        const discovery = discover(components);
        discovery.addEventListener('peer', (event) => this.#dialDiscovered(event.detail.id));
        return discovery;
      });
    }
    let node: OgLibp2p;
    this.#acceptGatewayAnswers = true;
    try {
      node = (await createLibp2p({
        privateKey: this.#components.privateKey,
        addresses: { listen, ...(announce.length > 0 ? { appendAnnounce: announce } : {}) },
        transports: [tcp(), webSockets(), circuitRelayTransport()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        peerDiscovery,
        ...(localOnly ? { connectionGater: loopbackOnlyGater() } : {}),
        connectionManager: {
          maxConnections: init.maxConnections ?? 200,
          // Defaults (5 per IP per second, 10 pending) throttle bootstrap servers and loopback networks.
          inboundConnectionThreshold: busyServer ? 1000 : 5,
          maxIncomingPendingConnections: busyServer ? 256 : 10,
          // Local-only: no /dnsaddr/ lookups (the gater runs after resolution).
          ...(localOnly ? { resolvers: {} } : {}),
        },
        // A ping that misses its (adaptive) deadline closes the connection; on a loaded machine or a slow
        // link that tears down healthy connections, and with them cluster views. Keep measuring, don't abort.
        connectionMonitor: { abortConnectionOnPingFailure: false },
        services,
      })) as unknown as OgLibp2p;
    } catch (error) {
      this.#acceptGatewayAnswers = false;
      throw translateListenError(error, listen);
    }
    this.#node = node;
    if (init.relayServer) confirmOwnAddresses(node);
    node.addEventListener('peer:identify', (event) => {
      this.#tally.record(
        event.detail.peerId.toString(),
        event.detail.observedAddr,
        event.detail.connection.remoteAddr,
      );
    });
    const bootstrapPeers = new Set(
      bootstrapList.flatMap((address) =>
        parseMultiaddr(address, 'bootstrap')
          .getComponents()
          .filter((c) => c.name === 'p2p')
          .flatMap((c) => (c.value === undefined ? [] : [c.value])),
      ),
    );
    node.addEventListener('peer:connect', (event) => {
      // Bootstrap peers are our way back into the network: libp2p redials KEEP_ALIVE peers when they drop.
      if (bootstrapPeers.has(event.detail.toString())) {
        node.peerStore.merge(event.detail, { tags: { [KEEP_ALIVE]: { value: 1 } } }).catch(() => {
          // The node is stopping; nothing to keep alive.
        });
      }
      this.safeDispatchEvent('peer:connect', { detail: event.detail });
    });
    node.addEventListener('peer:disconnect', (event) => {
      this.#tally.forget(event.detail.toString());
      this.safeDispatchEvent('peer:disconnect', { detail: event.detail });
    });
    if (bootstrapList.length > 0) this.#keepBootstrapped(node, bootstrapList, bootstrapPeers);
  }

  /**
   * The bootstrap module dials once, at start. A node that starts before its bootstrap nodes (or loses them
   * all) would stay alone forever, so while none is connected we redial them with a growing delay.
   */
  #keepBootstrapped(node: OgLibp2p, addresses: readonly string[], peers: ReadonlySet<string>): void {
    const initial = this.#init.bootstrapRetryMs ?? 2000;
    let delay = initial;
    // Bare `/dnsaddr/` names name no peer: any connection then counts as being back in the network.
    const anyPeer = addresses.some((address) => !address.includes('/p2p/'));
    const check = async (): Promise<void> => {
      if (this.#node !== node) return;
      const connected = node.getPeers().some((peer) => anyPeer || peers.has(peer.toString()));
      if (connected) {
        delay = initial;
      } else {
        this.#bootstrapAttempts += 1;
        await Promise.allSettled(
          addresses.map((address) => node.dial(multiaddr(address), { signal: AbortSignal.timeout(10_000) })),
        );
        delay = Math.min(delay * 2, 60_000);
      }
      if (this.#node !== node) return;
      this.#schedule(() => void check(), delay);
    };
    this.#schedule(() => void check(), delay);
  }

  #schedule(run: () => void, delay: number): void {
    this.#nextBootstrapAt = Date.now() + delay;
    this.#retryTimer = setTimeout(run, delay);
    this.#retryTimer.unref();
  }

  /** How the node is trying to reach its bootstrap nodes (what "looking for peers" tells the user). */
  bootstrapProgress(): { readonly attempts: number; readonly nextAttemptAt: number | null } {
    return {
      attempts: this.#bootstrapAttempts,
      nextAttemptAt: this.#retryTimer === null ? null : this.#nextBootstrapAt,
    };
  }

  #dialDiscovered(peer: PeerId): void {
    const node = this.#node;
    if (node === null || node.getConnections(peer).length > 0) return;
    node.dial(peer, { signal: AbortSignal.timeout(10_000) }).catch(() => {
      // A LAN peer that left or cannot be reached; mDNS will tell us again if it comes back.
    });
  }

  #onGatewayAddress(reported: unknown): void {
    if (!this.#acceptGatewayAnswers) return;
    const ip = parseGatewayAddress(reported);
    // The gateway is asked every check interval: only a new answer is news.
    if (ip === null || ip === this.#upnpAddress) return;
    this.#upnpAddress = ip;
    this.safeDispatchEvent('upnp-address', { detail: ip });
  }

  async stop(): Promise<void> {
    const node = this.#node;
    this.#node = null;
    this.#acceptGatewayAnswers = false;
    this.#upnpAddress = null;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    this.#tally.clear();
    if (node !== null) await node.stop();
  }

  get libp2p(): OgLibp2p {
    if (this.#node === null) throw new Error('p2p service used before start()');
    return this.#node;
  }

  get pubsub(): OgPubSub {
    return this.libp2p.services.pubsub;
  }

  get peerId(): string {
    return this.libp2p.peerId.toString();
  }

  get isStarted(): boolean {
    return this.#node !== null;
  }

  /** The external IP the LAN gateway last reported over UPnP (null: none yet, or UPnP is off). */
  get upnpAddress(): string | null {
    return this.#upnpAddress;
  }

  /** Current observed-address counts (IP → peers reporting it). */
  observedAddressCounts(): Map<string, number> {
    return this.#tally.counts();
  }

  /** Forget observed addresses after the network changed; returns the peers whose observations were dropped. */
  resetObservedAddresses(): string[] {
    const peers = this.#tally.peers();
    this.#tally.clear();
    return peers;
  }

  listenAddresses(): string[] {
    return this.#node === null ? [] : this.#node.getMultiaddrs().map((addr) => addr.toString());
  }

  connectionCount(): number {
    return this.#node === null ? 0 : this.#node.getConnections().length;
  }
}

/** Our mDNS service name: only OpenGateway nodes answer, not every libp2p program on the LAN. */
export const MDNS_SERVICE_TAG = '_opengateway._udp.local';

/**
 * An explicit listen list keeps relay reachability: without `/p2p-circuit` a node behind NAT takes no
 * relay reservation and cannot be reached from outside its LAN (nat-lab-findings cause 3).
 */
export function withRelayReachability(listen: readonly string[], relayServer: boolean): string[] {
  const addresses = [...listen];
  for (const address of addresses) parseMultiaddr(address, 'listen');
  if (!relayServer && !addresses.some((address) => address.includes('/p2p-circuit'))) {
    addresses.push('/p2p-circuit');
  }
  return addresses;
}

/**
 * A relay/bootstrap server is public by its operator's word: its own listen addresses count as verified at
 * once. Otherwise AutoNAT asks every peer that connects to dial it back, and the peers' answers close and
 * redial the very connections the relay needs (nat-lab-findings causes 2 and 4).
 */
function confirmOwnAddresses(node: OgLibp2p): void {
  // The address and transport managers are internal to libp2p (the node object carries them).
  const components = (node as unknown as { components?: Partial<InternalComponents> }).components;
  if (components?.addressManager === undefined || components.transportManager === undefined) return;
  for (const address of components.transportManager.getAddrs()) {
    if (address.toString().includes('/p2p-circuit')) continue;
    components.addressManager.confirmObservedAddr(address, { type: 'transport', ttl: RELAY_ADDRESS_TTL_MS });
  }
}

interface InternalComponents {
  addressManager: {
    confirmObservedAddr(address: Multiaddr, options: { type: 'transport'; ttl: number }): void;
  };
  transportManager: { getAddrs(): Multiaddr[] };
}

/** How long a relay's own addresses stay verified; re-confirmed while the node runs. */
const RELAY_ADDRESS_TTL_MS = 365 * 24 * 3600 * 1000;

export function parseMultiaddr(address: string, what: string): Multiaddr {
  try {
    return multiaddr(address);
  } catch {
    throw new InvalidMultiaddrError(address, what);
  }
}

/** libp2p reports a busy port deep in an error chain; the user needs one line naming the address. */
function translateListenError(error: unknown, listen: readonly string[]): unknown {
  const text = describeChain(error);
  if (!/EADDRINUSE/.test(text)) return error;
  const port = /:(\d+)\b/.exec(text.slice(text.indexOf('EADDRINUSE')))?.[1];
  const address =
    listen.find((addr) => port !== undefined && addr.includes(`/tcp/${port}`)) ?? listen.join(', ');
  return new ListenAddressInUseError(address);
}

function describeChain(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth += 1) {
    if (current instanceof AggregateError) parts.push(...current.errors.map((inner) => describeChain(inner)));
    if (current instanceof Error) {
      parts.push(`${current.name}: ${current.message} ${(current as NodeJS.ErrnoException).code ?? ''}`);
      current = current.cause;
    } else {
      parts.push(typeof current === 'string' ? current : 'non-error value');
      break;
    }
  }
  return parts.join(' | ');
}
