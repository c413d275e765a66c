// One cluster's membership protocol (issue 16): a sampled view refreshed by shuffles (sampled-view.ts), SWIM
// failure detection (one probe per period, round-robin over the active view, indirect probes through others,
// suspicion refuted by incarnation numbers), rumors piggybacked on every message, rare events also on a gossip
// shard, and load asked on demand. It talks only to a MembershipTransport and a MembershipClock, so the node
// (libp2p) and the simulator (virtual links and time) run exactly this code.
import type { ClusterId } from '../../../src-shared/protocol/protocol-ids.ts';
import {
  decodeMembershipMessage,
  type MemberDescriptor,
  type MembershipBody,
  type MembershipMessage,
  type Rumor,
} from '../../../src-shared/protocol/membership-wire.ts';
import { ClusterWire } from './cluster-wire.ts';
import { SwimProbes } from './swim-probes.ts';
import { ViewShuffles } from './view-shuffles.ts';
import {
  sameDescriptor,
  type ClusterMembershipDeps,
  type LoadReport,
  type SampledMember,
} from './sampled-member.ts';
import { MemberVerdicts } from './member-verdicts.ts';
import type { TimerHandle } from './membership-transport.ts';
import { RumorBudget } from './rumor-budget.ts';
import { RumorQueue } from './rumor-queue.ts';
import { SampledView } from './sampled-view.ts';
import { shardOf, shardTopic } from './gossip-shards.ts';
import { RUMOR_BUDGET_MESSAGES, RUMOR_BUDGET_SENDERS } from './membership-defaults.ts';
import { resolveOptions, type ClusterMembershipOptions, type ResolvedOptions } from './cluster-options.ts';

/** How far ahead of this node's clock (seconds) an incarnation may be: clock skew and many changes, not more. */
const FUTURE_INCARNATION_S = 365 * 24 * 3600;

export type { ClusterMembershipOptions } from './cluster-options.ts';
export type { ClusterMembershipDeps, LoadReport, SampledMember } from './sampled-member.ts';

export class ClusterMembership {
  readonly cluster: ClusterId;
  readonly key: string;
  readonly #deps: ClusterMembershipDeps;
  readonly #options: ResolvedOptions;
  readonly #random: () => number;
  readonly #view: SampledView;
  readonly #rumors: RumorQueue;
  readonly #budget: RumorBudget;
  readonly #wire: ClusterWire;
  readonly #verdicts: MemberVerdicts;
  readonly #probes: SwimProbes;
  readonly #shuffles: ViewShuffles;
  #descriptor: MemberDescriptor | null;
  #incarnation = 0;
  #ticks = 0;
  /** While the views are empty: when seeds are asked for next, and the wait after that (doubling). */
  #nextSeedAt = 0;
  #reseedMs = 0;
  #tickTimer: TimerHandle | null = null;
  #unsubscribe: (() => void) | null = null;
  #running = false;

  /** `descriptor` null: this node watches the cluster (to route to it) without being a member. */
  constructor(
    cluster: ClusterId,
    descriptor: MemberDescriptor | null,
    deps: ClusterMembershipDeps,
    options: ClusterMembershipOptions = {},
  ) {
    this.cluster = cluster;
    this.key = `${cluster.region}/${cluster.tier}`;
    this.#deps = deps;
    this.#options = resolveOptions(options);
    this.#random = deps.random ?? Math.random;
    this.#descriptor = descriptor;
    this.#view = new SampledView(deps.transport.self, this.#options, this.#random);
    this.#rumors = new RumorQueue(
      this.#options.rumorTransmissions,
      this.#options.rumorMemory,
      this.#options.rumorQueue,
    );
    this.#budget = new RumorBudget(
      RUMOR_BUDGET_MESSAGES * this.#options.maxRumorsPerMessage,
      this.#options.intervalMs,
      RUMOR_BUDGET_SENDERS,
    );
    this.#wire = new ClusterWire(
      this.key,
      deps.transport,
      deps.clock,
      this.#rumors,
      this.#options.maxRumorsPerMessage,
    );
    this.#verdicts = new MemberVerdicts({
      cluster,
      clock: deps.clock,
      options: this.#options,
      view: this.#view,
      rumors: this.#rumors,
      probes: () => this.#probes,
      spread: (rumor) => this.#spread(rumor),
      publish: (shard, rumor) => this.#publish(shard, rumor),
      onChange: deps.onChange,
    });
    this.#probes = new SwimProbes({
      wire: this.#wire,
      clock: deps.clock,
      options: this.#options,
      view: this.#view,
      random: this.#random,
      running: () => this.#running,
      heard: (peerId, incarnation, descriptor) => this.#verdicts.heard(peerId, incarnation, descriptor),
      failed: (peerId) => this.#verdicts.probeFailed(peerId),
      // Point to point (no hops left): the join rumor itself still spreads as before.
      introduction: () =>
        this.#descriptor !== null
          ? { kind: 'alive', peerId: deps.transport.self, incarnation: this.#incarnation, ttl: 0 }
          : null,
    });
    this.#shuffles = new ViewShuffles({
      cluster,
      transport: deps.transport,
      clock: deps.clock,
      wire: this.#wire,
      view: this.#view,
      probes: this.#probes,
      options: this.#options,
      running: () => this.#running,
      self: () =>
        this.#descriptor !== null ? { peerId: deps.transport.self, incarnation: this.#incarnation } : null,
      refill: (now) => this.#refill(now),
    });
  }

  get serving(): boolean {
    return this.#descriptor !== null;
  }

  /** Rumors waiting to be passed on (0 once the cluster is quiet). */
  get rumorBacklog(): number {
    return this.#rumors.size;
  }

  get incarnation(): number {
    return this.#incarnation;
  }

  /** Join: advertise, announce, ask the DHT (or the simulator's stand-in) for seeds, start probing. */
  start(incarnation = 0): void {
    if (this.#running) return;
    this.#running = true;
    this.#incarnation = incarnation;
    const { transport } = this.#deps;
    const self = transport.self;
    const shard = this.serving
      ? shardOf(self, this.#options.shards)
      : Math.floor(this.#random() * this.#options.shards);
    this.#unsubscribe = transport.subscribe(shardTopic(this.cluster, shard), (from, bytes) => {
      const decoded = decodeMembershipMessage(bytes);
      if (decoded.ok && decoded.message.cluster === this.key) this.receiveGossip(from, decoded.message);
    });
    if (this.#descriptor !== null) {
      transport.advertise(this.cluster, true);
      // A join reaches the whole cluster (SWIM), not only the newcomer's neighbourhood.
      this.#announce({ kind: 'alive', peerId: self, incarnation, ttl: this.#options.rumorTtl });
    }
    this.#shuffles.seed();
    // A random phase: nodes that start together must not probe in lockstep.
    this.#tickTimer = this.#deps.clock.setTimer(this.#random() * this.#options.periodMs, () => this.#tick());
  }

  /** Leave: tell the active view directly and the shard by gossip, then go quiet. */
  stop(leave = true): void {
    if (!this.#running) return;
    const { transport, clock } = this.#deps;
    if (leave && this.#descriptor !== null) {
      const goodbye: Rumor = {
        kind: 'left',
        peerId: transport.self,
        incarnation: this.#incarnation,
        ttl: this.#options.rumorTtl,
      };
      for (const peerId of this.#view.activeIds())
        this.#wire.sendWith(peerId, { kind: 'ping', wantDescriptor: false }, this.#wire.nextSeq(), [goodbye]);
      this.#publish(shardOf(transport.self, this.#options.shards), goodbye);
      transport.advertise(this.cluster, false);
    }
    this.#running = false;
    if (this.#tickTimer !== null) clock.clearTimer(this.#tickTimer);
    this.#wire.close();
    this.#unsubscribe?.();
    this.#unsubscribe = null;
  }

  /** What this node says about itself changed: a new incarnation, announced (never for load alone). */
  setDescriptor(descriptor: MemberDescriptor): void {
    if (this.#descriptor !== null && sameDescriptor(this.#descriptor, descriptor)) return;
    this.#descriptor = descriptor;
    if (!this.#running) return;
    this.#incarnation += 1;
    this.#announce({
      kind: 'alive',
      peerId: this.#deps.transport.self,
      incarnation: this.#incarnation,
      ttl: this.#options.announceTtl,
    });
  }

  /** Verified members of the active view, with what each last said about itself. */
  members(): SampledMember[] {
    return this.#view.verifiedMembers();
  }

  /** True while `peerId` is a verified member of the active view, alive or suspected (members() has it). */
  holds(peerId: string): boolean {
    return this.#view.holds(peerId);
  }

  /** True while `peerId` is a verified, unsuspected member of the active view. */
  holdsAlive(peerId: string): boolean {
    return this.#view.holdsAlive(peerId);
  }

  /** Ask a member for its queue and capacity; null when it does not answer in time. */
  queryLoad(peerId: string, timeoutMs: number, callback: (report: LoadReport | null) => void): void {
    this.#wire.queryLoad(peerId, timeoutMs, callback);
  }

  /** One decoded message of this cluster from `from` (authenticated by the transport). */
  receive(from: string, message: MembershipMessage): void {
    if (!this.#running || from === this.#deps.transport.self) return;
    const now = this.#deps.clock.now();
    if (message.kind === 'not-member') {
      this.#verdicts.notMember(from);
      this.#wire.deliverReply(from, message);
      return;
    }
    if (this.#view.buried(from)) {
      // It speaks to us, so it is alive whatever we concluded (a false death while this node or the link
      // was too slow, a healed partition): a candidate again, verified by its own ack. Without this, two
      // members that buried each other never met again (a buried peer's entries were ignored).
      this.#view.exhume(from);
      this.#view.offer(from, 0, now);
    }
    this.#verdicts.touch(from, now);
    this.#applyRumors(from, message.rumors, now);
    switch (message.kind) {
      case 'ping':
        // A watcher is no member: it says so, and members drop it from their samples at once.
        if (this.#descriptor === null) return this.#reply(from, message.seq, { kind: 'not-member' });
        this.#reply(from, message.seq, {
          kind: 'ack',
          incarnation: this.#incarnation,
          ...(message.wantDescriptor && this.#descriptor !== null ? { descriptor: this.#descriptor } : {}),
        });
        return;
      case 'ping-req':
        this.#probes.relay(from, message.seq, message.target);
        return;
      case 'shuffle':
        this.#shuffles.answer(from, message, now);
        return;
      case 'shuffle-reply':
        this.#wire.deliverReply(from, message);
        return;
      case 'load-query': {
        const report = this.#descriptor !== null ? this.#deps.load?.() : undefined;
        this.#reply(from, message.seq, {
          kind: 'load',
          capacity: report?.capacity ?? 0,
          load: report?.load ?? 0,
          ready: report?.ready ?? false,
        });
        return;
      }
      case 'ack':
      case 'load':
        this.#wire.deliverReply(from, message);
        return;
    }
  }

  /** A rare event from the gossip shard: its rumors count like piggybacked ones, and name candidates. */
  receiveGossip(from: string, message: MembershipMessage): void {
    if (!this.#running) return;
    const now = this.#deps.clock.now();
    this.#applyRumors(from, message.rumors, now);
  }

  #tick(): void {
    if (!this.#running) return;
    const { clock } = this.#deps;
    this.#tickTimer = clock.setTimer(this.#options.periodMs, () => this.#tick());
    this.#ticks += 1;
    const now = clock.now();
    this.#refill(now);
    if (this.#view.activeSize === 0 && this.#view.passiveSize === 0) {
      if (now >= this.#nextSeedAt) {
        this.#reseedMs = Math.min(
          Math.max(2 * this.#reseedMs, this.#options.intervalMs),
          this.#options.maxReseedMs,
        );
        this.#nextSeedAt = now + this.#reseedMs;
        this.#shuffles.seed();
      }
      return;
    }
    this.#reseedMs = 0;
    this.#nextSeedAt = now + this.#options.intervalMs;
    const target = this.#probes.next();
    if (target !== undefined) this.#probes.probe(target);
    if (this.#ticks % this.#options.shuffleEveryProbes === 0) this.#shuffles.initiate();
  }

  /**
   * The sender's rumors, as many as its budget allows (the rest are dropped unread). Rumors about this node
   * (to refute) and about the sender itself (its join or goodbye) are always read: they name no one new.
   */
  #applyRumors(from: string, rumors: readonly Rumor[], now: number): void {
    if (rumors.length === 0) return;
    const self = this.#deps.transport.self;
    const others = rumors.filter((rumor) => rumor.peerId !== self && rumor.peerId !== from);
    const allowed = others.length === 0 ? 0 : this.#budget.take(from, others.length, now);
    for (const rumor of rumors)
      if (rumor.peerId === self || rumor.peerId === from) this.#applyRumor(from, rumor, now);
    for (let i = 0; i < allowed; i += 1) this.#applyRumor(from, others[i]!, now);
  }

  #applyRumor(from: string, rumor: Rumor, now: number): void {
    // Incarnations start at seconds since the epoch: one far ahead of the clock was forged, and following it
    // (a refutation goes one above it) would let any peer push a member's incarnation out of range.
    if (rumor.incarnation > Math.floor(now / 1000) + FUTURE_INCARNATION_S) return;
    const self = this.#deps.transport.self;
    if (rumor.peerId === self) {
      // Refute a suspicion or a death of ourselves with a newer incarnation (SWIM).
      if (this.#descriptor !== null && rumor.kind !== 'alive' && rumor.incarnation >= this.#incarnation) {
        this.#incarnation = rumor.incarnation + 1;
        this.#announce({
          kind: 'alive',
          peerId: self,
          incarnation: this.#incarnation,
          ttl: this.#options.rumorTtl,
        });
      }
      return;
    }
    if (!this.#rumors.learn(rumor)) return;
    this.#deps.onRumor?.(rumor);
    const member = this.#view.active(rumor.peerId);
    switch (rumor.kind) {
      case 'alive':
        // It announced itself (a join): if it once answered "not-member", it may be one now.
        this.#view.notMembers.clear(rumor.peerId);
        this.#view.revive(rumor.peerId, rumor.incarnation);
        if (member === undefined) this.#view.offer(rumor.peerId, rumor.incarnation, now);
        else if (rumor.incarnation > member.incarnation) {
          // Only the member's own ack is trusted for its state: ask it on the next probe.
          member.stale = true;
          this.#probes.prioritise(rumor.peerId);
        }
        return;
      case 'suspect':
        if (member !== undefined && rumor.incarnation >= member.incarnation)
          this.#probes.prioritise(rumor.peerId);
        return;
      case 'dead':
      case 'left':
        if (member === undefined) this.#view.bury(rumor.peerId, rumor.incarnation);
        else if (rumor.kind === 'left' && from === rumor.peerId)
          this.#verdicts.declareDead(rumor.peerId, rumor.incarnation, 'left');
        // Anyone could claim a death: our own probe decides for members we route to.
        else if (rumor.incarnation >= member.incarnation) this.#probes.prioritise(rumor.peerId);
        return;
    }
  }

  #refill(now: number): void {
    for (const member of this.#view.promote(now)) this.#probes.verify(member);
  }

  #announce(rumor: Rumor): void {
    this.#spread(rumor);
    this.#publish(shardOf(rumor.peerId, this.#options.shards), rumor);
  }

  #spread(rumor: Rumor): void {
    this.#rumors.learn(rumor);
  }

  #publish(shard: number, rumor: Rumor): void {
    this.#wire.publish(shardTopic(this.cluster, shard), rumor);
  }

  #reply(to: string, seq: number, body: MembershipBody): void {
    this.#wire.send(to, body, seq);
  }
}
