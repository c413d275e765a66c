// The libp2p configuration a P2pInit stands for (DESIGN.md §5): transports, encryption and muxing, the
// services (identify, ping, gossipsub, the private DHT, relay server, AutoNAT, DCUtR, UPnP), peer discovery
// and the connection limits. Validates every address it is given before anything starts.
import { noise } from '@chainsafe/libp2p-noise';
import { yamux } from '@chainsafe/libp2p-yamux';
import { bootstrap } from '@libp2p/bootstrap';
import { circuitRelayTransport } from '@libp2p/circuit-relay-v2';
import { dcutr } from '@libp2p/dcutr';
import { gossipsub } from '@libp2p/gossipsub';
import { identify, identifyPush } from '@libp2p/identify';
import type { Ed25519PrivateKey, PeerId } from '@libp2p/interface';
import { kadDHT, passthroughMapper, removePrivateAddressesMapper } from '@libp2p/kad-dht';
import { mdns } from '@libp2p/mdns';
import { ping } from '@libp2p/ping';
import { tcp } from '@libp2p/tcp';
import { webSockets } from '@libp2p/websockets';
import type { Libp2pOptions } from 'libp2p';
import { KAD_PROTOCOL } from '../../../src-shared/protocol/index.ts';
import { autoNATWithFreshDialBack } from './autonat-dial-back.ts';
import { peerScoreParams } from './gossip-scoring.ts';
import { DEFAULT_LISTEN, withRelayReachability } from './listen-addresses.ts';
import { isLoopbackMultiaddr, loopbackOnlyGater } from './local-only.ts';
import type { P2pInit } from './p2p-init.ts';
import { parseMultiaddr } from './parse-multiaddr.ts';
import { withPacedRelayDiscovery } from './relay-discovery-pace.ts';
import { relayServer } from './relay-server.ts';
import { uPnPNATReportingExternalAddress } from './upnp-external-address.ts';
import { WEBRTC_LISTEN, type WebRtcTransportFactory } from './webrtc-transport.ts';
import { webRtcDialGater } from './webrtc-upgrade.ts';

type Services = NonNullable<Libp2pOptions['services']>;
type ServiceFactory = Services[string];

/** Largest gossip message we accept at all; protocol codecs apply their own, smaller limits. */
export const MAX_GOSSIP_DATA_BYTES = 64 * 1024;

/** Our mDNS service name: only OpenGateway nodes answer, not every libp2p program on the LAN. */
export const MDNS_SERVICE_TAG = '_opengateway._udp.local';

/** What the running node reports back to the p2p service. */
export interface Libp2pHooks {
  /** The LAN gateway answered an external-address query (unvalidated). */
  onGatewayAddress(reported: unknown): void;
  /** mDNS found a peer on the LAN. */
  onDiscoveredPeer(peer: PeerId): void;
  /** The LAN gateway mapped a port: the mapped address is among ours, unverified. */
  onPortMapped?(): void;
}

/** The options for createLibp2p, with the listen and bootstrap lists they were built from. */
export interface Libp2pConfiguration {
  readonly options: Libp2pOptions;
  readonly listen: readonly string[];
  /** Bootstrap addresses to dial (local-only: loopback ones alone). */
  readonly bootstrap: readonly string[];
}

/**
 * Whether `init` asks for WebRTC: explicitly, or by default for a node that may sit behind NAT (a relay is
 * public, a local-only or private-network node reaches its peers directly).
 */
export function wantsWebRtc(init: P2pInit): boolean {
  return (
    init.webrtc ??
    ((init.natTraversal ?? true) &&
      !(init.localOnly ?? false) &&
      !(init.privateNetwork ?? false) &&
      !(init.relayServer ?? false))
  );
}

/**
 * Build the libp2p configuration for `init`; throws InvalidMultiaddrError for an address that is none.
 * `webRtc` is the loaded WebRTC transport (null: none), which also adds the `/webrtc` listen address.
 */
export function libp2pConfiguration(
  privateKey: Ed25519PrivateKey,
  init: P2pInit,
  hooks: Libp2pHooks,
  webRtc: WebRtcTransportFactory | null = null,
): Libp2pConfiguration {
  const listen = withRelayReachability(init.listen ?? DEFAULT_LISTEN, init.relayServer ?? false);
  if (webRtc !== null && !listen.includes(WEBRTC_LISTEN)) listen.push(WEBRTC_LISTEN);
  const announce = [...(init.announce ?? [])];
  for (const address of announce) parseMultiaddr(address, 'announce');
  const localOnly = init.localOnly ?? false;
  const bootstrapList = [...(init.bootstrap ?? [])].filter(
    // Local-only: a name would be resolved and anything else would leave the machine.
    (address) => !localOnly || isLoopbackMultiaddr(parseMultiaddr(address, 'bootstrap')),
  );
  const privateNetwork = init.privateNetwork ?? false;
  const busyServer = privateNetwork || (init.relayServer ?? false);
  const configuredServices = services(init, hooks);
  const discoverers = peerDiscovery(init, bootstrapList, hooks);
  const options: Libp2pOptions = {
    privateKey,
    addresses: { listen, ...(announce.length > 0 ? { appendAnnounce: announce } : {}) },
    transports: [
      tcp(),
      webSockets(),
      // Paced: with no relay in reach, the transport's relay search would walk the DHT nonstop.
      withPacedRelayDiscovery(circuitRelayTransport()),
      ...(webRtc !== null ? [webRtc] : []),
    ],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    peerDiscovery: discoverers,
    ...(localOnly
      ? { connectionGater: loopbackOnlyGater() }
      : webRtc !== null
        ? { connectionGater: webRtcDialGater() }
        : {}),
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
    services: configuredServices,
  };
  return { options, listen, bootstrap: bootstrapList };
}

function services(init: P2pInit, hooks: Libp2pHooks): Services {
  const localOnly = init.localOnly ?? false;
  const privateNetwork = init.privateNetwork ?? false;
  const colocationWhitelist = [
    ...(init.colocationWhitelist ?? []),
    ...(privateNetwork ? ['127.0.0.1', '::1'] : []),
  ];
  const services: Services = {
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
      scoreParams: peerScoreParams(
        init.scoredTopics ?? [],
        colocationWhitelist,
        init.reputation,
        init.penalty,
      ),
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
  if (init.relayServer) services.relay = relayServer();
  if (init.natTraversal ?? true) {
    // Its dial-back must not reuse (and then close) the asking peer's own connection (autonat-dial-back.ts).
    services.autoNAT = autoNATWithFreshDialBack();
    services.dcutr = dcutr();
  }
  if ((init.upnp ?? false) && !localOnly) {
    services.upnp = uPnPNATReportingExternalAddress(
      {
        ...(init.upnpGateways ? { gateways: [...init.upnpGateways] } : {}),
        ...(init.upnpAddressCheckMs ? { externalAddressCheckInterval: init.upnpAddressCheckMs } : {}),
      },
      (reported) => hooks.onGatewayAddress(reported),
      () => hooks.onPortMapped?.(),
    );
  }
  return services;
}

function peerDiscovery(
  init: P2pInit,
  bootstrapList: readonly string[],
  hooks: Libp2pHooks,
): NonNullable<Libp2pOptions['peerDiscovery']> {
  const discoverers: NonNullable<Libp2pOptions['peerDiscovery']> = [];
  // @libp2p/bootstrap needs a peer id in each address; a bare `/dnsaddr/` name (whose TXT records carry
  // the peer ids) is dialled by BootstrapRedial alone.
  const withPeerId = bootstrapList.filter((address) => address.includes('/p2p/'));
  if (withPeerId.length > 0) discoverers.push(bootstrap({ list: withPeerId, timeout: 0 }));
  if ((init.mdns ?? false) && !(init.localOnly ?? false)) {
    const discover = mdns({
      serviceTag: MDNS_SERVICE_TAG,
      ...(init.mdnsIntervalMs ? { interval: init.mdnsIntervalMs } : {}),
    });
    // libp2p does not dial what discovery finds; a LAN peer is worth a connection (that is the point).
    discoverers.push((components) => {
      const discovery = discover(components);
      discovery.addEventListener('peer', (event) => hooks.onDiscoveredPeer(event.detail.id));
      return discovery;
    });
  }
  return discoverers;
}
