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
import { ping, type Ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { createLibp2p, type Libp2pOptions } from 'libp2p';
import { KAD_PROTOCOL } from '../../../src-shared/protocol/index.ts';
import { InvalidMultiaddrError, ListenAddressInUseError } from './errors.ts';
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
    const listen = [...(init.listen ?? DEFAULT_LISTEN)];
    for (const address of listen) parseMultiaddr(address, 'listen');
    const bootstrapList = [...(init.bootstrap ?? [])];
    for (const address of bootstrapList) parseMultiaddr(address, 'bootstrap');
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
      // Default relay limits (128 KiB, 2 min) cut inference responses; our relays carry whole requests.
      services.relay = circuitRelayServer({
        reservations: { applyDefaultLimit: false, maxReservations: 512 },
      });
    }
    if (init.natTraversal ?? true) {
      services.autoNAT = autoNAT();
      services.dcutr = dcutr();
    }
    if (init.upnp ?? false) {
      services.upnp = uPnPNATReportingExternalAddress(
        {
          ...(init.upnpGateways ? { gateways: [...init.upnpGateways] } : {}),
          ...(init.upnpAddressCheckMs ? { externalAddressCheckInterval: init.upnpAddressCheckMs } : {}),
        },
        (reported) => this.#onGatewayAddress(reported),
      );
    }

    const withPeerId = bootstrapList.filter((address) => address.includes('/p2p/'));
    const busyServer = privateNetwork || (init.relayServer ?? false);
    let node: OgLibp2p;
    this.#acceptGatewayAnswers = true;
    try {
      node = (await createLibp2p({
        privateKey: this.#components.privateKey,
        addresses: { listen },
        transports: [tcp(), webSockets(), circuitRelayTransport()],
        connectionEncrypters: [noise()],
        streamMuxers: [yamux()],
        // @libp2p/bootstrap needs a peer id in each address; a bare `/dnsaddr/` name (whose TXT records carry
        // the peer ids) is dialled by #keepBootstrapped alone.
        peerDiscovery: withPeerId.length > 0 ? [bootstrap({ list: withPeerId, timeout: 0 })] : [],
        connectionManager: {
          maxConnections: init.maxConnections ?? 200,
          // Defaults (5 per IP per second, 10 pending) throttle bootstrap servers and loopback networks.
          inboundConnectionThreshold: busyServer ? 1000 : 5,
          maxIncomingPendingConnections: busyServer ? 256 : 10,
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
