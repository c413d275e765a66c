// What public IP do peers see us at? identify reports the address each peer observed for its connection to
// us; js-libp2p drops TCP observed addresses from its own address manager, so we keep the tally ourselves and
// hand the IPs to the geo service's vote (which decides; this only collects).
import type { Multiaddr } from '@multiformats/multiaddr';

/** Peers remembered at once; one entry per peer, so one peer can never outvote others by repetition. */
const MAX_TRACKED_PEERS = 1024;

export interface ObservedAddress {
  readonly peerId: string;
  /** The IP only (no port: ports are per connection and NATs rewrite them). */
  readonly ip: string;
  /** The reporter's own IP as we see it (lets the vote count one reporter per network); null over relays. */
  readonly reporterIp: string | null;
}

export class ObservedAddressTally {
  readonly #byPeer = new Map<string, string>();
  readonly #onObservation: (observation: ObservedAddress) => void;

  constructor(onObservation: (observation: ObservedAddress) => void) {
    this.#onObservation = onObservation;
  }

  /** Record the address `peerId` observed; ignores anything that is not an IP address. */
  record(peerId: string, observedAddr: Multiaddr | undefined, reporterAddr?: Multiaddr): void {
    if (observedAddr === undefined) return;
    const ip = ipOf(observedAddr);
    if (ip === null) return;
    this.#byPeer.delete(peerId);
    this.#byPeer.set(peerId, ip);
    // Map keeps insertion order: the first key is the peer heard from longest ago.
    if (this.#byPeer.size > MAX_TRACKED_PEERS) {
      const oldest = this.#byPeer.keys().next().value;
      if (oldest !== undefined) this.#byPeer.delete(oldest);
    }
    const relayed = reporterAddr?.toString().includes('/p2p-circuit') ?? true;
    this.#onObservation({ peerId, ip, reporterIp: relayed || !reporterAddr ? null : ipOf(reporterAddr) });
  }

  forget(peerId: string): void {
    this.#byPeer.delete(peerId);
  }

  /** IP → number of distinct peers that currently report it. */
  counts(): Map<string, number> {
    const counts = new Map<string, number>();
    for (const ip of this.#byPeer.values()) counts.set(ip, (counts.get(ip) ?? 0) + 1);
    return counts;
  }

  /** The peers whose observation currently counts. */
  peers(): string[] {
    return [...this.#byPeer.keys()];
  }

  /** Forget everything: the network changed and old observations describe the old one. */
  clear(): void {
    this.#byPeer.clear();
  }
}

export function ipOf(addr: Multiaddr): string | null {
  for (const component of addr.getComponents()) {
    if ((component.name === 'ip4' || component.name === 'ip6') && component.value !== undefined)
      return component.value;
  }
  return null;
}
