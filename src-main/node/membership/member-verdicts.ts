// What one cluster's node concludes about the members it holds: alive when they (or a helper) answer, suspect
// after a failed probe, dead after the suspicion runs out, and the changes it reports to its owner. A member
// is reported once per change (up, paused, down), never "down" before it was ever seen up.
import type { ClusterId } from '../../../src-shared/protocol/protocol-ids.ts';
import type { MemberDescriptor, Rumor } from '../../../src-shared/protocol/membership-wire.ts';
import type { ResolvedOptions } from './cluster-options.ts';
import { shardOf } from './gossip-shards.ts';
import type { MemberChange, MemberStatus } from './member-change.ts';
import type { MembershipClock } from './membership-transport.ts';
import type { RumorQueue } from './rumor-queue.ts';
import type { SampledView } from './sampled-view.ts';
import type { SwimProbes } from './swim-probes.ts';

export interface VerdictContext {
  readonly cluster: ClusterId;
  readonly clock: MembershipClock;
  readonly options: ResolvedOptions;
  readonly view: SampledView;
  readonly rumors: RumorQueue;
  /** Probes are set once the probes exist (they report back to these verdicts). */
  probes(): SwimProbes;
  /** Pass a rumor on (piggybacked on the messages this node sends). */
  spread(rumor: Rumor): void;
  /** Publish a rumor on a gossip shard. */
  publish(shard: number, rumor: Rumor): void;
  readonly onChange: ((change: MemberChange) => void) | undefined;
}

export class MemberVerdicts {
  readonly #ctx: VerdictContext;
  readonly #reported = new Map<string, MemberStatus>();

  constructor(context: VerdictContext) {
    this.#ctx = context;
  }

  /** The member answered (directly, with or without its descriptor, or through a helper). */
  heard(peerId: string, incarnation: number, descriptor: MemberDescriptor | undefined): void {
    const member = this.#ctx.view.active(peerId);
    if (member === undefined) return;
    member.lastHeardAt = this.#ctx.clock.now();
    this.#ctx.view.answered(peerId);
    if (incarnation > member.incarnation) {
      member.incarnation = incarnation;
      // A newer incarnation means it announced something (a new descriptor, a refutation): ask it for its
      // descriptor on the next probe rather than trust that the rumor reached us (it may have been spent on
      // other peers or lost with a stream, and then the old descriptor stayed here for good).
      if (descriptor === undefined) member.stale = true;
    }
    if (descriptor !== undefined) {
      member.descriptor = descriptor;
      member.stale = false;
    }
    if (member.status !== 'alive') {
      member.status = 'alive';
      member.suspectSince = null;
    }
    if (member.descriptor !== null)
      this.#report(peerId, member.descriptor.state === 'paused' ? 'paused' : 'up', null);
  }

  /** Any message from an active member proves it alive (not its descriptor: only its ack carries that). */
  touch(peerId: string, now: number): void {
    const member = this.#ctx.view.active(peerId);
    if (member === undefined) return;
    member.lastHeardAt = now;
    if (member.status === 'suspect') {
      member.status = 'alive';
      member.suspectSince = null;
    }
  }

  /** Neither the member nor any helper answered a probe in time. */
  probeFailed(peerId: string): void {
    const { view, clock, options, rumors } = this.#ctx;
    const member = view.active(peerId);
    if (member === undefined) return;
    const now = clock.now();
    // Never answered us (a candidate, or one adopted from a shuffle whose first ping has not come back): no
    // evidence it was ever reachable from here, so no suspicion or death to spread about it, only a free slot.
    if (member.status === 'unverified' || member.descriptor === null) {
      view.missed(peerId, now, options.intervalMs);
      return;
    }
    const corroborated = rumors.knows(peerId, 'dead', member.incarnation);
    if (member.status === 'alive' && !corroborated) {
      member.status = 'suspect';
      member.suspectSince = now;
      this.#ctx.probes().prioritise(peerId);
      this.#ctx.spread({ kind: 'suspect', peerId, incarnation: member.incarnation, ttl: options.rumorTtl });
      return;
    }
    if (corroborated || now - (member.suspectSince ?? now) >= options.suspicionMs) {
      // A member said goodbye (to others) and no longer answers: it left, it did not fail.
      this.declareDead(peerId, member.incarnation, rumors.knowsLeft(peerId) ? 'left' : 'timeout');
      return;
    }
    this.#ctx.probes().prioritise(peerId);
  }

  declareDead(peerId: string, incarnation: number, reason: 'timeout' | 'left'): void {
    const { view, options } = this.#ctx;
    view.bury(peerId, incarnation);
    this.#ctx.probes().forget(peerId);
    const rumor: Rumor = {
      kind: reason === 'left' ? 'left' : 'dead',
      peerId,
      incarnation,
      ttl: options.rumorTtl,
    };
    if (reason === 'timeout') {
      this.#ctx.spread(rumor);
      this.#ctx.publish(shardOf(peerId, options.shards), rumor);
    }
    this.#report(peerId, 'down', reason);
  }

  /** It answered "not-member": it left the cluster (or never was in it); not tried again for a while. */
  notMember(peerId: string): void {
    const { view, clock, options } = this.#ctx;
    view.markNotMember(peerId, clock.now() + options.notMemberRetryMs);
    this.#ctx.probes().forget(peerId);
    this.#report(peerId, 'down', 'left');
  }

  #report(peerId: string, to: MemberStatus, reason: 'timeout' | 'left' | null): void {
    const from = this.#reported.get(peerId) ?? null;
    if (from === to || (from === null && to === 'down')) return;
    if (to === 'down') this.#reported.delete(peerId);
    else this.#reported.set(peerId, to);
    this.#ctx.onChange?.({ cluster: this.#ctx.cluster, peerId, from, to, reason });
  }
}
