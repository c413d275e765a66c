// Turns a relayed connection into a direct one: when we dialled a peer through a relay and identify shows it
// accepts WebRTC signalling, we dial `<relay>/p2p-circuit/webrtc/p2p/<peer>`; the SDP offer/answer and ICE
// candidates travel over the relayed connection, and ICE punches a UDP path where the two NATs allow it
// (endpoint-independent mappings; not a symmetric NAT). libp2p then prefers the unlimited WebRTC connection
// for new streams; the relayed one ends at its limit. Only the side that dialled the relay tries, so two
// peers do not race two WebRTC connections; a failed try waits `retryAfterMs` before the next relayed
// connection to the same peer tries again (a symmetric NAT fails every time).
//
// The dial goes to the transport, not through libp2p's dial queue: the queue joins every dial to the same
// peer into one, so an application's dial by peer id (which, with only a limited connection, dials again)
// would race ICE against the relay and hand back whichever connection it liked. The node's connection
// gater keeps `/webrtc` addresses out of the queue (webRtcDialGater), so this is the one place they are dialled.
import type { Connection, ConnectionGater, IdentifyResult, Libp2p } from '@libp2p/interface';
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';

/** libp2p's WebRTC signalling protocol: a peer that handles it can be dialled over `/webrtc`. */
export const WEBRTC_SIGNALING_PROTOCOL = '/webrtc-signaling/0.0.1';

export interface WebRtcUpgradeInit {
  /** How long one upgrade (signalling + ICE) may take (default 20 s). */
  readonly dialTimeoutMs?: number;
  /** After a failed upgrade, how long before a new relayed connection to the same peer tries again (default 2 min). */
  readonly retryAfterMs?: number;
  /**
   * Retries on the same relayed connection after a failure, one delay each (default 2 s, 10 s, 60 s). ICE
   * sometimes loses its first race on a busy machine; a NAT that cannot be punched fails every try, so the
   * tries are few and spread out.
   */
  readonly retryDelaysMs?: readonly number[];
  /** Told every outcome (the node logs them). */
  readonly onOutcome?: (outcome: WebRtcUpgradeOutcome) => void;
}

/** One upgrade's outcome, as the lab and the status report it. */
export type WebRtcUpgradeOutcome =
  | { readonly peer: string; readonly status: 'direct'; readonly ms: number }
  | { readonly peer: string; readonly status: 'failed'; readonly ms: number; readonly reason: string };

/** Opens a connection to `address` with the WebRTC transport (libp2p's transport manager). */
export type TransportDial = (address: Multiaddr, options: { signal: AbortSignal }) => Promise<Connection>;

export class WebRtcUpgrade {
  readonly #node: Libp2p;
  readonly #dial: TransportDial;
  readonly #init: WebRtcUpgradeInit;
  readonly #inFlight = new Map<string, AbortController>();
  readonly #failedAt = new Map<string, number>();
  /** Failed tries in a row per peer on its current relayed connection. */
  readonly #tries = new Map<string, number>();
  readonly #retryTimers = new Set<NodeJS.Timeout>();
  #running = false;
  /** Upgrades tried since start, by outcome. */
  readonly counts = { direct: 0, failed: 0 };
  /** The last outcomes (newest last, at most 32). */
  readonly recent: WebRtcUpgradeOutcome[] = [];
  readonly #onIdentify = (event: CustomEvent<IdentifyResult>): void => this.#consider(event.detail);

  constructor(node: Libp2p, dial: TransportDial, init: WebRtcUpgradeInit = {}) {
    this.#node = node;
    this.#dial = dial;
    this.#init = init;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#node.addEventListener('peer:identify', this.#onIdentify);
  }

  stop(): void {
    this.#running = false;
    this.#node.removeEventListener('peer:identify', this.#onIdentify);
    for (const controller of this.#inFlight.values()) controller.abort();
    this.#inFlight.clear();
    this.#failedAt.clear();
    this.#tries.clear();
    for (const timer of this.#retryTimers) clearTimeout(timer);
    this.#retryTimers.clear();
  }

  #consider(identified: IdentifyResult): void {
    const { connection, peerId } = identified;
    const peer = peerId.toString();
    if (!this.#running || connection.limits === undefined || connection.direction !== 'outbound') return;
    if (!connection.remoteAddr.toString().includes('/p2p-circuit')) return;
    if (!identified.protocols.includes(WEBRTC_SIGNALING_PROTOCOL) || this.#inFlight.has(peer)) return;
    if (this.#node.getConnections(peerId).some((c) => c.limits === undefined && c.status === 'open')) return;
    const failedAt = this.#failedAt.get(peer);
    if (failedAt !== undefined && Date.now() - failedAt < (this.#init.retryAfterMs ?? 120_000)) return;
    this.#tries.delete(peer);
    void this.#upgrade(peer, connection);
  }

  async #upgrade(peer: string, relayed: Connection): Promise<void> {
    const controller = new AbortController();
    this.#inFlight.set(peer, controller);
    const begin = performance.now();
    const signal = AbortSignal.any([
      controller.signal,
      AbortSignal.timeout(this.#init.dialTimeoutMs ?? 20_000),
    ]);
    try {
      await this.#dial(webRtcAddressThrough(relayed.remoteAddr.toString(), peer), { signal });
      this.#failedAt.delete(peer);
      this.#tries.delete(peer);
      this.#record({ peer, status: 'direct', ms: Math.round(performance.now() - begin) });
    } catch (error) {
      if (!this.#running) return;
      this.#failedAt.set(peer, Date.now());
      const reason = error instanceof Error ? `${error.name}: ${error.message}` : 'dial failed';
      this.#record({ peer, status: 'failed', ms: Math.round(performance.now() - begin), reason });
      this.#retryLater(peer, relayed);
    } finally {
      if (this.#inFlight.get(peer) === controller) this.#inFlight.delete(peer);
    }
  }

  /** The next try on the same relayed connection, while it is open and nothing better came along. */
  #retryLater(peer: string, relayed: Connection): void {
    const tries = (this.#tries.get(peer) ?? 0) + 1;
    this.#tries.set(peer, tries);
    const delay = (this.#init.retryDelaysMs ?? [2_000, 10_000, 60_000])[tries - 1];
    if (delay === undefined) return;
    const timer = setTimeout(() => {
      this.#retryTimers.delete(timer);
      if (!this.#running || relayed.status !== 'open' || this.#inFlight.has(peer)) return;
      const direct = this.#node
        .getConnections(relayed.remotePeer)
        .some((c) => c.limits === undefined && c.status === 'open');
      if (!direct) void this.#upgrade(peer, relayed);
    }, delay);
    timer.unref();
    this.#retryTimers.add(timer);
  }

  #record(outcome: WebRtcUpgradeOutcome): void {
    this.counts[outcome.status] += 1;
    this.recent.push(outcome);
    if (this.recent.length > 32) this.recent.shift();
    try {
      this.#init.onOutcome?.(outcome);
    } catch {
      // A listener's failure is not the upgrade's.
    }
  }
}

/** Keeps `/webrtc` addresses out of libp2p's dial queue (see above), on top of `base` when there is one. */
export function webRtcDialGater(base: ConnectionGater = {}): ConnectionGater {
  return {
    ...base,
    denyDialMultiaddr: async (address) =>
      address.getComponents().some((component) => component.name === 'webrtc') ||
      ((await base.denyDialMultiaddr?.(address)) ?? false),
  };
}

/** `<relay address>/p2p-circuit/webrtc/p2p/<peer>` from a relayed connection's remote address. */
export function webRtcAddressThrough(relayedAddress: string, peer: string): ReturnType<typeof multiaddr> {
  const suffix = `/p2p/${peer}`;
  const circuit = relayedAddress.endsWith(suffix) ? relayedAddress.slice(0, -suffix.length) : relayedAddress;
  if (!circuit.endsWith('/p2p-circuit')) throw new RangeError(`not a relayed address: ${relayedAddress}`);
  return multiaddr(`${circuit}/webrtc${suffix}`);
}

/** Dials through libp2p's transport manager (internal to libp2p: the node object carries it). */
export function transportDial(node: Libp2p): TransportDial {
  const components = (node as unknown as { components?: { transportManager?: TransportManagerLike } })
    .components;
  const manager = components?.transportManager;
  if (manager === undefined) throw new Error('libp2p has no transport manager to dial WebRTC with');
  return (address, options) => manager.dial(address, options);
}

interface TransportManagerLike {
  dial(address: Multiaddr, options: { signal: AbortSignal }): Promise<Connection>;
}
