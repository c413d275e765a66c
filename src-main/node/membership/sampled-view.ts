// One cluster as this node samples it (HyParView-style): a small active view of members it probes and may
// route to, a larger passive view of candidates learned from shuffles, rumors and the DHT, and a memory of
// recent deaths so a stale shuffle cannot bring a dead member back. Every part is bounded; a full part evicts
// its quietest entry (the one heard from longest ago), so a full view still takes in new honest members.
import type { MemberDescriptor } from '../../../src-shared/protocol/membership-wire.ts';
import { NotMembers } from './not-members.ts';
import type { SampledMember } from './sampled-member.ts';

/** unverified: promoted from the passive view, not yet answered; suspect: a probe failed, not yet dead. */
export type ActiveStatus = 'unverified' | 'alive' | 'suspect';

export interface ActiveMember {
  readonly peerId: string;
  incarnation: number;
  status: ActiveStatus;
  /** What the member said about itself in its last ack that carried one; null until then. */
  descriptor: MemberDescriptor | null;
  /** A newer incarnation was rumored: ask the member for its descriptor on the next probe. */
  stale: boolean;
  readonly addedAt: number;
  lastHeardAt: number;
  suspectSince: number | null;
}

interface PassiveMember {
  readonly peerId: string;
  readonly incarnation: number;
  readonly heardAt: number;
  /** When it may be tried (later than now after it missed a first contact). */
  readonly retryAt: number;
}

/**
 * A candidate that did not answer a first contact is tried again this many times (an interval apart) before
 * it is forgotten: on a busy node a first contact can outlast its deadline, and a candidate forgotten after
 * one miss only comes back by a shuffle, which left the last members of small clusters out for many intervals.
 */
export const FIRST_CONTACT_TRIES = 3;

export interface SampledViewOptions {
  readonly activeSize: number;
  readonly passiveSize: number;
  /** How many recent deaths to remember (bounded like everything a peer can make us store). */
  readonly deadMemory: number;
}

export class SampledView {
  readonly #options: SampledViewOptions;
  readonly #self: string;
  readonly #random: () => number;
  readonly #active = new Map<string, ActiveMember>();
  /** Insertion order = quietness order: refreshing an entry moves it to the end. */
  readonly #passive = new Map<string, PassiveMember>();
  readonly #dead = new Map<string, number>();
  /** Unanswered first contacts in a row per candidate (bounded by both views: cleared when it leaves them). */
  readonly #misses = new Map<string, number>();
  /** Peers that answered "not-member" (offers of them are ignored until the answer expires). */
  readonly notMembers: NotMembers;

  constructor(self: string, options: SampledViewOptions, random: () => number) {
    this.#self = self;
    this.#options = options;
    this.#random = random;
    this.notMembers = new NotMembers(options.deadMemory);
  }

  get activeSize(): number {
    return this.#active.size;
  }

  get passiveSize(): number {
    return this.#passive.size;
  }

  get activeFull(): boolean {
    return this.#active.size >= this.#options.activeSize;
  }

  active(peerId: string): ActiveMember | undefined {
    return this.#active.get(peerId);
  }

  activeMembers(): IterableIterator<ActiveMember> {
    return this.#active.values();
  }

  activeIds(): string[] {
    return [...this.#active.keys()];
  }

  /** Verified members of the active view, with what each last said about itself. */
  verifiedMembers(): SampledMember[] {
    const members: SampledMember[] = [];
    for (const member of this.#active.values()) {
      if (member.status === 'unverified' || member.descriptor === null) continue;
      members.push({
        peerId: member.peerId,
        status: member.descriptor.state === 'paused' ? 'paused' : 'up',
        suspect: member.status === 'suspect',
        descriptor: member.descriptor,
        lastHeardAt: member.lastHeardAt,
      });
    }
    return members;
  }

  /** True while `peerId` is a verified member of the active view (alive or suspected). */
  holds(peerId: string): boolean {
    const member = this.#active.get(peerId);
    return member !== undefined && member.status !== 'unverified' && member.descriptor !== null;
  }

  /** True while `peerId` is a verified, unsuspected member of the active view. */
  holdsAlive(peerId: string): boolean {
    const member = this.#active.get(peerId);
    return member !== undefined && member.status === 'alive' && member.descriptor !== null;
  }

  /** Known dead at this incarnation or later: entries at or below it are stale. */
  isDead(peerId: string, incarnation: number): boolean {
    const dead = this.#dead.get(peerId);
    return dead !== undefined && incarnation <= dead;
  }

  /** Buried at some incarnation (dead or left as far as this node knows). */
  buried(peerId: string): boolean {
    return this.#dead.has(peerId);
  }

  /**
   * The peer itself spoke to us after we buried it: it is alive whatever we concluded (a false death under
   * load, a partition that healed). Its entry goes; the caller offers it again, to be verified by its ack.
   */
  exhume(peerId: string): void {
    this.#dead.delete(peerId);
  }

  /** It said it is no member: out of both views, and not tried again before `until`. */
  markNotMember(peerId: string, until: number): void {
    this.drop(peerId);
    this.notMembers.mark(peerId, until);
  }

  /** A candidate heard of (shuffle, rumor, DHT): into the passive view unless already known or known dead. */
  offer(peerId: string, incarnation: number, now: number): void {
    if (peerId === this.#self || this.isDead(peerId, incarnation) || this.notMembers.has(peerId, now)) return;
    const member = this.#active.get(peerId);
    if (member !== undefined) return;
    const previous = this.#passive.get(peerId);
    if (previous !== undefined) this.#passive.delete(peerId);
    else if (this.#passive.size >= this.#options.passiveSize) this.#evictQuietestPassive();
    this.#passive.set(peerId, {
      peerId,
      incarnation: Math.max(incarnation, previous?.incarnation ?? 0),
      heardAt: now,
      retryAt: previous?.retryAt ?? 0,
    });
  }

  /**
   * An unverified member did not answer its first contact: back to the passive view, tried again after
   * `retryMs`, forgotten after FIRST_CONTACT_TRIES misses in a row. Its place in the quietness order is its
   * last news, so it is evicted before candidates heard of since.
   */
  missed(peerId: string, now: number, retryMs: number): void {
    const member = this.#active.get(peerId);
    if (member === undefined) return;
    this.#active.delete(peerId);
    const misses = (this.#misses.get(peerId) ?? 0) + 1;
    if (misses >= FIRST_CONTACT_TRIES || this.isDead(peerId, member.incarnation)) {
      this.#misses.delete(peerId);
      return;
    }
    if (this.#misses.size >= this.#options.activeSize + this.#options.passiveSize) this.#misses.clear();
    this.#misses.set(peerId, misses);
    if (this.#passive.size >= this.#options.passiveSize) this.#evictQuietestPassive();
    this.#passive.set(peerId, {
      peerId,
      incarnation: member.incarnation,
      heardAt: member.lastHeardAt,
      retryAt: now + retryMs,
    });
  }

  /**
   * A member proved alive by speaking to us (a join, a shuffle): straight into the active view, evicting the
   * quietest active member into the passive view when full. Returns the entry.
   */
  admit(peerId: string, incarnation: number, now: number): ActiveMember | null {
    if (peerId === this.#self) return null;
    this.#dead.delete(peerId);
    this.notMembers.clear(peerId);
    const existing = this.#active.get(peerId);
    if (existing !== undefined) {
      existing.lastHeardAt = now;
      if (incarnation > existing.incarnation) existing.incarnation = incarnation;
      return existing;
    }
    if (this.activeFull) this.#demoteQuietestActive(now);
    this.#passive.delete(peerId);
    const member: ActiveMember = {
      peerId,
      incarnation,
      status: 'alive',
      descriptor: null,
      stale: true,
      addedAt: now,
      lastHeardAt: now,
      suspectSince: null,
    };
    this.#active.set(peerId, member);
    return member;
  }

  /** Move random passive candidates up until the active view is full; they start unverified. */
  promote(now: number): ActiveMember[] {
    const promoted: ActiveMember[] = [];
    while (!this.activeFull && this.#passive.size > 0) {
      const candidate = this.#randomPassive(now);
      if (candidate === undefined) break;
      this.#passive.delete(candidate.peerId);
      const member: ActiveMember = {
        peerId: candidate.peerId,
        incarnation: candidate.incarnation,
        status: 'unverified',
        descriptor: null,
        stale: true,
        addedAt: now,
        lastHeardAt: candidate.heardAt,
        suspectSince: null,
      };
      this.#active.set(member.peerId, member);
      promoted.push(member);
    }
    return promoted;
  }

  /**
   * A member handed over by a shuffle partner (which held it as verified): active when there is room, but not
   * routable until its own ack brings its descriptor; probed in the current round like every other member.
   */
  adopt(peerId: string, incarnation: number, now: number): ActiveMember | null {
    if (peerId === this.#self || this.isDead(peerId, incarnation) || this.#active.has(peerId)) return null;
    if (this.activeFull) return null;
    const heardAt = this.#passive.get(peerId)?.heardAt ?? now;
    this.#passive.delete(peerId);
    const member: ActiveMember = {
      peerId,
      incarnation,
      status: 'alive',
      descriptor: null,
      stale: true,
      addedAt: now,
      lastHeardAt: heardAt,
      suspectSince: null,
    };
    this.#active.set(peerId, member);
    return member;
  }

  /** Hand an active member's slot over (Cyclon's swap): it stays a candidate in the passive view. */
  demote(peerId: string, now: number): boolean {
    const member = this.#active.get(peerId);
    if (member === undefined) return false;
    this.#active.delete(peerId);
    if (member.status === 'alive') this.offer(peerId, member.incarnation, now);
    return true;
  }

  /** The verified member held longest: the next shuffle partner (Cyclon picks the oldest neighbour). */
  oldest(): ActiveMember | null {
    let oldest: ActiveMember | null = null;
    for (const member of this.#active.values())
      if (
        member.status === 'alive' &&
        member.descriptor !== null &&
        (oldest === null || member.addedAt < oldest.addedAt)
      )
        oldest = member;
    return oldest;
  }

  /** Up to `count` random verified active members, never `exclude`. */
  sampleActive(count: number, exclude: string): { peerId: string; incarnation: number }[] {
    const pool: { peerId: string; incarnation: number }[] = [];
    for (const member of this.#active.values())
      if (member.status === 'alive' && member.descriptor !== null && member.peerId !== exclude)
        pool.push({ peerId: member.peerId, incarnation: member.incarnation });
    partialShuffle(pool, count, this.#random);
    return pool.slice(0, count);
  }

  /** Drop a member without a verdict. */
  drop(peerId: string): boolean {
    this.#misses.delete(peerId);
    return this.#active.delete(peerId) || this.#passive.delete(peerId);
  }

  /** The member answered: its unanswered first contacts are forgiven. */
  answered(peerId: string): void {
    this.#misses.delete(peerId);
  }

  /** A member is dead (or left) at `incarnation`: out of both views, remembered so it is not re-added. */
  bury(peerId: string, incarnation: number): ActiveMember | undefined {
    const member = this.#active.get(peerId);
    this.#active.delete(peerId);
    this.#passive.delete(peerId);
    this.#misses.delete(peerId);
    if (!this.#dead.has(peerId) && this.#dead.size >= this.#options.deadMemory) {
      const oldest = this.#dead.keys().next().value;
      if (oldest !== undefined) this.#dead.delete(oldest);
    }
    this.#dead.delete(peerId);
    this.#dead.set(peerId, Math.max(incarnation, member?.incarnation ?? 0));
    return member;
  }

  /** A member refuted its death with a newer incarnation. */
  revive(peerId: string, incarnation: number): void {
    const dead = this.#dead.get(peerId);
    if (dead !== undefined && incarnation > dead) this.#dead.delete(peerId);
  }

  /** Up to `count` random members of both views (for shuffles and joiners), never `exclude`. */
  sample(count: number, exclude: string): { peerId: string; incarnation: number }[] {
    const pool: { peerId: string; incarnation: number }[] = [];
    for (const member of this.#active.values())
      if (member.status === 'alive' && member.peerId !== exclude)
        pool.push({ peerId: member.peerId, incarnation: member.incarnation });
    for (const member of this.#passive.values())
      if (member.peerId !== exclude) pool.push({ peerId: member.peerId, incarnation: member.incarnation });
    partialShuffle(pool, count, this.#random);
    return pool.slice(0, count);
  }

  /** A random passive candidate that may be tried now (one that missed a first contact waits its turn). */
  #randomPassive(now: number): PassiveMember | undefined {
    let due = 0;
    for (const member of this.#passive.values()) if (member.retryAt <= now) due += 1;
    if (due === 0) return undefined;
    const index = Math.floor(this.#random() * due);
    let i = 0;
    for (const member of this.#passive.values()) {
      if (member.retryAt > now) continue;
      if (i === index) return member;
      i += 1;
    }
    return undefined;
  }

  #evictQuietestPassive(): void {
    const quietest = this.#passive.keys().next().value;
    if (quietest === undefined) return;
    this.#passive.delete(quietest);
    this.#misses.delete(quietest);
  }

  #demoteQuietestActive(now: number): void {
    let quietest: ActiveMember | null = null;
    for (const member of this.#active.values()) {
      // Unverified and suspected members go first; among equals, the one heard from longest ago.
      const rank = (m: ActiveMember): number => (m.status === 'alive' ? 1 : 0);
      if (
        quietest === null ||
        rank(member) < rank(quietest) ||
        (rank(member) === rank(quietest) && member.lastHeardAt < quietest.lastHeardAt)
      )
        quietest = member;
    }
    if (quietest === null) return;
    this.#active.delete(quietest.peerId);
    if (quietest.status === 'alive') this.offer(quietest.peerId, quietest.incarnation, now);
  }
}

/** Fisher–Yates over the first `count` places only. */
function partialShuffle<T>(pool: T[], count: number, random: () => number): void {
  for (let i = 0; i < Math.min(count, pool.length); i += 1) {
    const j = i + Math.floor(random() * (pool.length - i));
    const swap = pool[i]!;
    pool[i] = pool[j]!;
    pool[j] = swap;
  }
}
