// Learning our own public address from what peers observe (identify's observedAddr), without a central server.
// One vote per reporting peer (its latest), votes expire, and the winner needs at least 3 reporters and a
// strict majority, so a single lying peer cannot move us to another region. Reporters on one /24 (IPv4) or
// /48 (IPv6) count once, which blunts a Sybil operator running many peers from one network.
import { publicIpOrNull, type NormalisedIp } from './ip-address.ts';

export interface PeerVoteRules {
  /** How long a peer's observation counts. */
  readonly ttlMs: number;
  readonly minReporters: number;
  /** Distinct reporters kept; the oldest are dropped beyond it, so peers cannot grow our memory. */
  readonly maxReporters: number;
}

export const DEFAULT_PEER_VOTE_RULES: PeerVoteRules = {
  ttlMs: 30 * 60_000,
  minReporters: 3,
  maxReporters: 256,
};

export interface PeerVoteOutcome {
  /** The address most reporters saw, when it won; null when no address has a valid majority. */
  readonly winner: NormalisedIp | null;
  readonly votes: number;
  /** Distinct reporting networks that counted. */
  readonly reporters: number;
  /** More than one address was reported: a split-tunnel VPN or a multi-homed machine. */
  readonly split: boolean;
}

interface Observation {
  readonly observed: NormalisedIp;
  readonly reporterNetwork: string;
  readonly at: number;
}

export class PeerAddressVote {
  readonly #rules: PeerVoteRules;
  readonly #byPeer = new Map<string, Observation>();

  constructor(rules: Partial<PeerVoteRules> = {}) {
    this.#rules = { ...DEFAULT_PEER_VOTE_RULES, ...rules };
  }

  /**
   * Record that `peerId` saw us at `observedIp`. `reporterIp` is the peer's own address as we see it (for the
   * one-vote-per-network rule); without it the peer counts as its own network. Non-public addresses are ignored.
   * Returns whether the observation was counted.
   */
  record(
    peerId: string,
    observedIp: string,
    now: number,
    reporterIp?: string,
    options: { readonly relayed?: boolean } = {},
  ): boolean {
    const observed = publicIpOrNull(observedIp);
    if (!observed || peerId.length === 0 || peerId.length > 128) return false;
    this.#byPeer.delete(peerId);
    this.#byPeer.set(peerId, {
      observed,
      // Peers reached over a relay have no address of their own we can group by: together they count as one
      // network, so a crowd of relayed Sybils is one vote (finding 15).
      reporterNetwork: options.relayed ? 'relayed' : (networkOf(reporterIp) ?? `peer:${peerId}`),
      at: now,
    });
    while (this.#byPeer.size > this.#rules.maxReporters) {
      const oldest = this.#byPeer.keys().next().value;
      if (oldest === undefined) break;
      this.#byPeer.delete(oldest);
    }
    return true;
  }

  /** Forget a peer's vote (it disconnected for good, or was found lying). */
  forget(peerId: string): void {
    this.#byPeer.delete(peerId);
  }

  decide(now: number): PeerVoteOutcome {
    // Latest observation per reporting network.
    const byNetwork = new Map<string, Observation>();
    for (const [peerId, observation] of this.#byPeer) {
      if (now - observation.at > this.#rules.ttlMs) {
        this.#byPeer.delete(peerId);
        continue;
      }
      const previous = byNetwork.get(observation.reporterNetwork);
      if (!previous || previous.at <= observation.at) byNetwork.set(observation.reporterNetwork, observation);
    }
    const tally = new Map<string, { ip: NormalisedIp; votes: number }>();
    for (const { observed } of byNetwork.values()) {
      const entry = tally.get(observed.address) ?? { ip: observed, votes: 0 };
      entry.votes += 1;
      tally.set(observed.address, entry);
    }
    const reporters = byNetwork.size;
    const ranked = [...tally.values()].sort((a, b) => b.votes - a.votes);
    const best = ranked[0];
    const split = ranked.length > 1;
    if (!best || reporters < this.#rules.minReporters || best.votes * 2 <= reporters) {
      return { winner: null, votes: best?.votes ?? 0, reporters, split };
    }
    return { winner: best.ip, votes: best.votes, reporters, split };
  }
}

/** The /24 (IPv4) or /48 (IPv6) a reporter sits in; null when its address is unknown or malformed. */
function networkOf(reporterIp: string | undefined): string | null {
  if (!reporterIp) return null;
  const ip = publicIpOrNull(reporterIp);
  if (!ip) return null;
  if (ip.family === 4) return ip.address.split('.').slice(0, 3).join('.');
  return expandIpv6(ip.address).slice(0, 3).join(':');
}

function expandIpv6(address: string): string[] {
  const [head = '', tail = ''] = address.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === '' ? [] : tail.split(':');
  const missing = address.includes('::') ? 8 - headGroups.length - tailGroups.length : 0;
  return [...headGroups, ...Array<string>(missing).fill('0'), ...tailGroups].map((group) =>
    group.padStart(4, '0'),
  );
}
