// One cluster's membership as this node sees it: who is up, paused or down, and what each member last said.
// Liveness uses the receiver's clock and the interval each sender announces, so one slow-beating member does
// not need every node to agree on an interval.
import type { Heartbeat } from '../../../src-shared/protocol/index.ts';
import type { ClusterId } from '../../../src-shared/protocol/index.ts';
import type { DownReason, MemberChange, MemberStatus } from './member-change.ts';

export type { DownReason, MemberChange, MemberStatus } from './member-change.ts';

export interface MemberRecord {
  readonly peerId: string;
  readonly status: MemberStatus;
  readonly heartbeat: Heartbeat;
  /** Receiver's clock (ms) when the last heartbeat arrived. */
  readonly lastHeardAt: number;
  readonly downReason: DownReason | null;
  readonly downSince: number | null;
}

export interface MembershipViewOptions {
  /** A member is down after this many of its announced intervals pass without a heartbeat. */
  readonly missedHeartbeats: number;
  /** New members beyond this are ignored: a bound on what peers can make us remember. */
  readonly maxMembers: number;
  /** Down members are forgotten after this long (they stay visible as "down" until then). */
  readonly forgetDownAfterMs: number;
}

export class MembershipView {
  readonly cluster: ClusterId;
  readonly #options: MembershipViewOptions;
  readonly #members = new Map<string, MemberRecord>();

  constructor(cluster: ClusterId, options: MembershipViewOptions) {
    this.cluster = cluster;
    this.#options = options;
  }

  /** Apply a validated heartbeat of this cluster. Returns the change, or null if the status stayed. */
  apply(heartbeat: Heartbeat, now: number): MemberChange | null {
    const previous = this.#members.get(heartbeat.peerId);
    const to: MemberStatus =
      heartbeat.state === 'active' ? 'up' : heartbeat.state === 'paused' ? 'paused' : 'down';
    const reason: DownReason | null = to === 'down' ? 'left' : null;
    // A first "leaving" from a member we never knew is not news, and must not push anyone out.
    if (previous === undefined && to === 'down') return null;
    // Full: the quietest member makes room (security finding 9: a view that only refused newcomers would be
    // frozen by whoever filled it first, and new honest members would never be seen).
    if (previous === undefined && this.#members.size >= this.#options.maxMembers) this.#evictQuietest();
    const downSince = to === 'down' ? (previous?.status === 'down' ? previous.downSince : now) : null;
    this.#members.set(heartbeat.peerId, {
      peerId: heartbeat.peerId,
      status: to,
      heartbeat,
      lastHeardAt: now,
      downReason: reason,
      downSince,
    });
    const from = previous?.status ?? null;
    // A first "leaving" from a member we never knew is not news.
    if (from === to || (from === null && to === 'down')) return null;
    return { cluster: this.cluster, peerId: heartbeat.peerId, from, to, reason };
  }

  /** The last seq we accepted from a member, to drop replays and reordered copies. */
  lastSeq(peerId: string): number | null {
    return this.#members.get(peerId)?.heartbeat.seq ?? null;
  }

  markDown(peerId: string, reason: DownReason, now: number): MemberChange | null {
    const record = this.#members.get(peerId);
    if (record === undefined || record.status === 'down') return null;
    this.#members.set(peerId, { ...record, status: 'down', downReason: reason, downSince: now });
    return { cluster: this.cluster, peerId, from: record.status, to: 'down', reason };
  }

  /** Mark silent members down and forget long-dead ones. */
  sweep(now: number): MemberChange[] {
    const changes: MemberChange[] = [];
    for (const record of [...this.#members.values()]) {
      if (record.status === 'down') {
        if (record.downSince !== null && now - record.downSince > this.#options.forgetDownAfterMs)
          this.#members.delete(record.peerId);
        continue;
      }
      const deadline = record.lastHeardAt + this.#options.missedHeartbeats * record.heartbeat.intervalMs;
      if (now > deadline) {
        const change = this.markDown(record.peerId, 'timeout', now);
        if (change) changes.push(change);
      }
    }
    return changes;
  }

  /** Drop the member heard from longest ago, down members first. */
  #evictQuietest(): void {
    let quietest: MemberRecord | null = null;
    for (const record of this.#members.values()) {
      const down = record.status === 'down';
      if (
        quietest === null ||
        (down && quietest.status !== 'down') ||
        (down === (quietest.status === 'down') && record.lastHeardAt < quietest.lastHeardAt)
      )
        quietest = record;
    }
    if (quietest !== null) this.#members.delete(quietest.peerId);
  }

  get(peerId: string): MemberRecord | undefined {
    return this.#members.get(peerId);
  }

  members(): MemberRecord[] {
    return [...this.#members.values()];
  }

  /** Members that can take work or will again soon (up or paused). */
  liveMembers(): MemberRecord[] {
    return this.members().filter((member) => member.status !== 'down');
  }

  clear(): void {
    this.#members.clear();
  }
}
