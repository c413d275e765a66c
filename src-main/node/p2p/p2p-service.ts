// The p2p service: the node's libp2p instance (DESIGN.md §5). TCP + WebSockets, Noise, Yamux, identify, ping,
// the private DHT, gossipsub with strict signing and scoring, AutoNAT, UPnP, circuit relay v2 (client always,
// server on bootstrap/relay nodes), DCUtR, and WebRTC hole punching with the relays' STUN responders. The configuration is built in libp2p-options.ts; this file runs
// the node and turns its events into ours.
import type { GossipSub } from '@libp2p/gossipsub';
import type { Identify } from '@libp2p/identify';
import {
  KEEP_ALIVE,
  TypedEventEmitter,
  type Ed25519PrivateKey,
  type Libp2p,
  type PeerId,
} from '@libp2p/interface';
import type { Ping } from '@libp2p/ping';
import { createLibp2p } from 'libp2p';
import { BootstrapRedial, bootstrapPeerIds, type BootstrapProgress } from './bootstrap-redial.ts';
import { libp2pConfiguration, wantsWebRtc } from './libp2p-options.ts';
import { translateListenError } from './listen-addresses.ts';
import { ObservedAddressTally, type ObservedAddress } from './observed-address-tally.ts';
import type { P2pInit } from './p2p-init.ts';
import { confirmOwnAddresses } from './relay-server.ts';
import { StunResponder, type StunBinding } from './stun-responder.ts';
import { stunBindingsFor, stunServersFromBootstrap } from './stun-servers.ts';
import { checkOverOpenConnections, isConnectionAddressVerifier } from './mapped-address-check.ts';
import { parseGatewayAddress } from './upnp-external-address.ts';
import { loadWebRtcTransport, type WebRtcTransportFactory } from './webrtc-transport.ts';
import { transportDial, WebRtcUpgrade, type WebRtcUpgradeOutcome } from './webrtc-upgrade.ts';

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
  /** A relayed connection we dialled was upgraded to a direct WebRTC one, or the hole punch failed. */
  'hole-punch': CustomEvent<WebRtcUpgradeOutcome>;
}

/** Hole punching over WebRTC as this node runs it. */
export type WebRtcState =
  | { readonly status: 'off' }
  | { readonly status: 'on'; readonly iceServers: readonly string[] }
  | { readonly status: 'unavailable'; readonly reason: string };

export class P2pService extends TypedEventEmitter<P2pEvents> {
  readonly #components: P2pComponents;
  readonly #init: P2pInit;
  #node: OgLibp2p | null = null;
  readonly #bootstrapRedial = new BootstrapRedial();
  #upnpAddress: string | null = null;
  /** Gateway answers count from the start of libp2p (which asks the gateway at once) until stop. */
  #acceptGatewayAnswers = false;
  #webRtc: WebRtcState = { status: 'off' };
  #webRtcUpgrade: WebRtcUpgrade | null = null;
  #stun: StunResponder | null = null;
  #stunBound: StunBinding[] = [];
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
    const webRtc = await this.#loadWebRtc();
    const { options, listen, bootstrap } = libp2pConfiguration(
      this.#components.privateKey,
      init,
      {
        onGatewayAddress: (reported) => this.#onGatewayAddress(reported),
        onDiscoveredPeer: (peer) => this.#dialDiscovered(peer),
        onPortMapped: () => this.#checkMappedAddress(),
      },
      webRtc,
    );
    let node: OgLibp2p;
    this.#acceptGatewayAnswers = true;
    try {
      node = (await createLibp2p(options)) as unknown as OgLibp2p;
    } catch (error) {
      this.#acceptGatewayAnswers = false;
      throw translateListenError(error, listen);
    }
    this.#node = node;
    if (init.relayServer) confirmOwnAddresses(node);
    if (webRtc !== null) {
      this.#webRtcUpgrade = new WebRtcUpgrade(node, transportDial(node), {
        onOutcome: (outcome) => this.safeDispatchEvent('hole-punch', { detail: outcome }),
      });
      this.#webRtcUpgrade.start();
    }
    if (init.stunResponder ?? init.relayServer ?? false) {
      const stun = new StunResponder();
      this.#stun = stun;
      // A port another program holds costs other nodes their hole punching, not this node its start.
      this.#stunBound = (await stun.start(stunBindingsFor(node.getMultiaddrs()))).bound;
    }
    node.addEventListener('peer:identify', (event) => {
      this.#tally.record(
        event.detail.peerId.toString(),
        event.detail.observedAddr,
        event.detail.connection.remoteAddr,
      );
    });
    const bootstrapPeers = bootstrapPeerIds(bootstrap);
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
    if (bootstrap.length > 0) {
      this.#bootstrapRedial.start(node, bootstrap, bootstrapPeers, init.bootstrapRetryMs ?? 2000);
    }
  }

  async #loadWebRtc(): Promise<WebRtcTransportFactory | null> {
    const init = this.#init;
    if (!wantsWebRtc(init)) {
      this.#webRtc = { status: 'off' };
      return null;
    }
    const iceServers = [...(init.iceServers ?? stunServersFromBootstrap(init.bootstrap ?? []))];
    try {
      const factory = await loadWebRtcTransport(iceServers);
      this.#webRtc = { status: 'on', iceServers };
      return factory;
    } catch (error) {
      if (error instanceof RangeError) throw error; // a STUN server the user gave is not one
      // No native WebRTC on this platform: the node still runs, reachable through relays only.
      this.#webRtc = {
        status: 'unavailable',
        reason: error instanceof Error ? error.message : String(error),
      };
      return null;
    }
  }

  /** Whether this node punches holes over WebRTC, with which STUN servers, or why it cannot. */
  get webRtc(): WebRtcState {
    return this.#webRtc;
  }

  /** Relayed connections upgraded to WebRTC (or not) since start; null when WebRTC is off. */
  get webRtcUpgrades(): WebRtcUpgrade | null {
    return this.#webRtcUpgrade;
  }

  /** The UDP addresses this node answers STUN on (relays). */
  get stunAddresses(): readonly StunBinding[] {
    return this.#stunBound;
  }

  /** How the node is trying to reach its bootstrap nodes (what "looking for peers" tells the user). */
  bootstrapProgress(): BootstrapProgress {
    return this.#bootstrapRedial.progress();
  }

  #dialDiscovered(peer: PeerId): void {
    const node = this.#node;
    if (node === null || node.getConnections(peer).length > 0) return;
    node.dial(peer, { signal: AbortSignal.timeout(10_000) }).catch(() => {
      // A LAN peer that left or cannot be reached; mDNS will tell us again if it comes back.
    });
  }

  /** A UPnP mapping was made: AutoNAT checks it over the connections we already have (mapped-address-check.ts). */
  #checkMappedAddress(): void {
    const node = this.#node;
    const autoNAT: unknown = node?.services.autoNAT;
    if (node === null || !isConnectionAddressVerifier(autoNAT)) return;
    checkOverOpenConnections(node, autoNAT).catch(() => {
      // The node stopped meanwhile.
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
    this.#bootstrapRedial.stop();
    this.#tally.clear();
    this.#webRtcUpgrade?.stop();
    this.#webRtcUpgrade = null;
    const stun = this.#stun;
    this.#stun = null;
    this.#stunBound = [];
    await stun?.stop();
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
