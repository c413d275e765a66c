// SWIM's failure detector for one cluster's active view: one probe per period, round-robin so each member is
// probed once per interval (suspects and rumored members first), indirect probes through others when the
// direct one goes unanswered, and the verification ping a member must answer before it counts.
import type { MemberDescriptor, Rumor } from '../../../src-shared/protocol/membership-wire.ts';
import type { ResolvedOptions } from './cluster-options.ts';
import type { ClusterWire } from './cluster-wire.ts';
import type { MembershipClock } from './membership-transport.ts';
import type { ActiveMember, SampledView } from './sampled-view.ts';

export interface ProbeContext {
  readonly wire: ClusterWire;
  readonly clock: MembershipClock;
  readonly options: ResolvedOptions;
  readonly view: SampledView;
  readonly random: () => number;
  running(): boolean;
  /** The member answered (directly, or through a helper: then without its descriptor). */
  heard(peerId: string, incarnation: number, descriptor: MemberDescriptor | undefined): void;
  /** Neither the member nor any helper answered within the period. */
  failed(peerId: string): void;
  /**
   * This node's own "alive" at its incarnation when it is a member (null for a watcher): a first contact
   * carries it, so a peer that heard "not-member" from us before we joined learns at once that we are one now.
   */
  introduction(): Rumor | null;
}

/** Indirect probes run for others at once, in all and per requester. */
const MAX_RELAYS = 32;
const MAX_RELAYS_PER_REQUESTER = 4;

export class SwimProbes {
  readonly #ctx: ProbeContext;
  readonly #urgent = new Set<string>();
  #order: string[] = [];
  /** Requester → its ping-reqs this node is running; #relays is their sum. */
  readonly #relaying = new Map<string, number>();
  #relays = 0;

  constructor(context: ProbeContext) {
    this.#ctx = context;
  }

  /** Probe this member next period (a suspect, or one a rumor says is suspect or dead). */
  prioritise(peerId: string): void {
    this.#urgent.add(peerId);
  }

  /** Probe this member before the current round ends (it just joined the active view). */
  enqueue(peerId: string): void {
    this.#order.unshift(peerId);
  }

  forget(peerId: string): void {
    this.#urgent.delete(peerId);
  }

  /** The member probed this period, if any. */
  next(): ActiveMember | undefined {
    const view = this.#ctx.view;
    for (const peerId of this.#urgent) {
      this.#urgent.delete(peerId);
      const member = view.active(peerId);
      if (member !== undefined) return member;
    }
    for (;;) {
      if (this.#order.length === 0) {
        this.#order = view.activeIds();
        shuffleInPlace(this.#order, this.#ctx.random);
        if (this.#order.length === 0) return undefined;
      }
      const member = view.active(this.#order.pop()!);
      if (member !== undefined) return member;
    }
  }

  probe(member: ActiveMember): void {
    const { wire, clock, options } = this.#ctx;
    const seq = wire.nextSeq();
    const peerId = member.peerId;
    const helpers = new Set<string>();
    let acked = false;
    wire.expect(seq, options.probeDeadlineMs, (from, message) => {
      if (message.kind !== 'ack' || (from !== peerId && !helpers.has(from))) return;
      acked = true;
      this.#ctx.heard(peerId, message.incarnation, from === peerId ? message.descriptor : undefined);
    });
    wire.send(peerId, { kind: 'ping', wantDescriptor: member.stale || member.descriptor === null }, seq);
    clock.setTimer(options.directMs, () => {
      if (acked || !this.#ctx.running()) return;
      const candidates = [...this.#ctx.view.activeMembers()].filter(
        (other) => other.status === 'alive' && other.descriptor !== null && other.peerId !== peerId,
      );
      shuffleInPlace(candidates, this.#ctx.random);
      for (const helper of candidates.slice(0, options.indirectProbes)) {
        helpers.add(helper.peerId);
        wire.send(helper.peerId, { kind: 'ping-req', target: peerId }, seq);
      }
    });
    clock.setTimer(options.probeDeadlineMs, () => {
      if (!acked && this.#ctx.running()) this.#ctx.failed(peerId);
    });
  }

  /** A promoted or newly admitted member answers a ping before it counts (and says who it is). */
  verify(member: ActiveMember): void {
    const { wire, options, view } = this.#ctx;
    const seq = wire.nextSeq();
    const peerId = member.peerId;
    let acked = false;
    wire.expect(
      seq,
      options.firstContactMs,
      (from, message) => {
        if (from !== peerId || message.kind !== 'ack') return;
        acked = true;
        this.#ctx.heard(peerId, message.incarnation, message.descriptor);
      },
      () => {
        if (!acked && view.active(peerId)?.status === 'unverified')
          view.missed(peerId, this.#ctx.clock.now(), options.intervalMs);
      },
    );
    const introduction = this.#ctx.introduction();
    wire.send(peerId, { kind: 'ping', wantDescriptor: true }, seq, introduction ? [introduction] : []);
  }

  /**
   * Probe `target` for `requester` (a ping-req) and pass its ack back under the requester's seq. Each may dial
   * a peer the requester names, so only so many run at once, in all and per requester: a peer that floods
   * ping-reqs for made-up targets gets a few dials, not one per message (honest requesters send a few per
   * failed probe).
   */
  relay(requester: string, requesterSeq: number, target: string): void {
    const { wire, options, clock } = this.#ctx;
    const mine = this.#relaying.get(requester) ?? 0;
    if (this.#relays >= MAX_RELAYS || mine >= MAX_RELAYS_PER_REQUESTER) return;
    this.#relays += 1;
    this.#relaying.set(requester, mine + 1);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      this.#relays -= 1;
      const left = (this.#relaying.get(requester) ?? 1) - 1;
      if (left > 0) this.#relaying.set(requester, left);
      else this.#relaying.delete(requester);
    };
    clock.setTimer(options.probeDeadlineMs, finish);
    const seq = wire.nextSeq();
    wire.expect(seq, options.probeDeadlineMs, (from, message) => {
      if (from !== target || message.kind !== 'ack' || done) return;
      finish();
      wire.send(requester, { kind: 'ack', incarnation: message.incarnation }, requesterSeq);
    });
    wire.send(target, { kind: 'ping', wantDescriptor: false }, seq);
  }
}

function shuffleInPlace<T>(items: T[], random: () => number): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    const swap = items[i]!;
    items[i] = items[j]!;
    items[j] = swap;
  }
}
