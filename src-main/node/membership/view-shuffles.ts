// How a node's sample of a cluster moves: seeds from the DHT on join (a newcomer gets a view's worth of
// members from each seed, and a place in the seed's view), then Cyclon swaps with the member held longest,
// so every member ends up in about as many views as it holds (even in-degrees spread requests evenly).
import type { ClusterId } from '../../../src-shared/protocol/protocol-ids.ts';
import type { MembershipMessage, ShuffleEntry } from '../../../src-shared/protocol/membership-wire.ts';
import type { ResolvedOptions } from './cluster-options.ts';
import type { ClusterWire } from './cluster-wire.ts';
import type { MembershipClock, MembershipTransport } from './membership-transport.ts';
import type { SampledView } from './sampled-view.ts';
import type { SwimProbes } from './swim-probes.ts';

export interface ShuffleContext {
  readonly cluster: ClusterId;
  readonly transport: MembershipTransport;
  readonly clock: MembershipClock;
  readonly wire: ClusterWire;
  readonly view: SampledView;
  readonly probes: SwimProbes;
  readonly options: ResolvedOptions;
  running(): boolean;
  /** This node's own entry when it is a member (watchers hand out none). */
  self(): ShuffleEntry | null;
  /** Promote passive candidates into free active slots (and verify them). */
  refill(now: number): void;
}

/** Intervals before one sender's next swap is taken. */
const SWAP_SENDER_INTERVALS = 8;
/** Swaps taken per interval from all senders together. */
const SWAPS_PER_INTERVAL = 4;
/** Senders whose last swap is remembered (the oldest forgotten first). */
const MAX_SWAP_SENDERS = 256;

export class ViewShuffles {
  readonly #ctx: ShuffleContext;
  /** Sender → when its last swap was taken. */
  readonly #swapAt = new Map<string, number>();
  #swapWindowStart = -Infinity;
  #swapsInWindow = 0;

  constructor(context: ShuffleContext) {
    this.#ctx = context;
  }

  /** Ask the DHT for members and join through two of them (also when the views ran empty). */
  seed(): void {
    const { transport, clock, wire, view, options } = this.#ctx;
    transport.findMembers(this.#ctx.cluster, options.seeds, (peerIds) => {
      if (!this.#ctx.running()) return;
      const now = clock.now();
      for (const peerId of peerIds) view.offer(peerId, 0, now);
      const own = this.#ctx.self();
      // Watchers answer probes "not-member" yet hold a sample: a join through one is fine.
      const seeds = peerIds.filter((id) => id !== transport.self);
      for (const peerId of seeds.slice(0, 2)) {
        const seq = wire.send(peerId, { kind: 'shuffle', joining: own !== null, entries: own ? [own] : [] });
        wire.expect(seq, options.firstContactMs, (from, message) => {
          if (from !== peerId || message.kind !== 'shuffle-reply') return;
          const at = clock.now();
          for (const entry of message.entries) view.offer(entry.peerId, entry.incarnation, at);
          this.#ctx.refill(at);
        });
      }
      this.#ctx.refill(now);
    });
  }

  /** Cyclon: swap a few active members with the one held longest. */
  initiate(): void {
    const { wire, view, options, clock } = this.#ctx;
    const partner = view.oldest();
    if (partner === null) return;
    const sent = view.sampleActive(options.shuffleLength - 1, partner.peerId);
    const seq = wire.send(partner.peerId, { kind: 'shuffle', joining: false, entries: this.#withSelf(sent) });
    wire.expect(seq, options.probeDeadlineMs, (from, message) => {
      if (from !== partner.peerId || message.kind !== 'shuffle-reply') return;
      this.#swapIn(message.entries, [partner.peerId, ...sent.map((entry) => entry.peerId)], clock.now());
    });
  }

  /** A shuffle request: a newcomer's join, or a partner's swap. */
  answer(from: string, message: Extract<MembershipMessage, { kind: 'shuffle' }>, now: number): void {
    const { wire, view, options, probes } = this.#ctx;
    if (message.joining) {
      // A newcomer gets a view's worth of members, and a place in ours (it just proved it is alive).
      const entries = view.sample(options.activeSize, from);
      wire.send(from, { kind: 'shuffle-reply', entries: this.#withSelf(entries) }, message.seq);
      const own = message.entries.find((entry) => entry.peerId === from);
      const member = view.admit(from, own?.incarnation ?? 0, now);
      if (member !== null) probes.verify(member);
      return;
    }
    // A swap costs us verified members for entries nobody checked yet, so it is rationed: one per sender every
    // few intervals (an honest partner hands its partner over and picks another next time) and a few per
    // interval in all (each member starts one every couple of intervals); past that the entries only fill
    // free places. Unrationed, a peer flooding shuffles of made-up ids flushed every verified member out.
    const last = this.#swapAt.get(from);
    if (last !== undefined && now - last < SWAP_SENDER_INTERVALS * options.intervalMs) {
      wire.send(from, { kind: 'shuffle-reply', entries: [] }, message.seq);
      return;
    }
    this.#swapAt.delete(from);
    if (this.#swapAt.size >= MAX_SWAP_SENDERS) this.#swapAt.delete(this.#swapAt.keys().next().value!);
    this.#swapAt.set(from, now);
    if (now - this.#swapWindowStart >= options.intervalMs) {
      this.#swapWindowStart = now;
      this.#swapsInWindow = 0;
    }
    const swap = this.#swapsInWindow < SWAPS_PER_INTERVAL;
    if (swap) this.#swapsInWindow += 1;
    // The entries we hand over leave our active view; the partner's take their places.
    const entries = view.sampleActive(options.shuffleLength, from);
    wire.send(from, { kind: 'shuffle-reply', entries }, message.seq);
    this.#swapIn(message.entries, swap ? entries.map((entry) => entry.peerId) : [], now);
  }

  /** Take in a partner's entries, handing over `replaceable` slots as needed; the rest become candidates. */
  #swapIn(received: readonly ShuffleEntry[], replaceable: readonly string[], now: number): void {
    const { view, probes, transport } = this.#ctx;
    const slots = [...replaceable];
    for (const entry of received) {
      if (entry.peerId === transport.self || view.active(entry.peerId) !== undefined) continue;
      if (view.activeFull) {
        const slot = slots.shift();
        if (slot !== undefined) view.demote(slot, now);
      }
      const member = view.adopt(entry.peerId, entry.incarnation, now);
      if (member !== null) probes.enqueue(member.peerId);
      else view.offer(entry.peerId, entry.incarnation, now);
    }
  }

  #withSelf(entries: ShuffleEntry[]): ShuffleEntry[] {
    const own = this.#ctx.self();
    if (own !== null) entries.push(own);
    return entries;
  }
}
