// Rumors waiting to ride on outgoing messages (SWIM's infection-style dissemination): each is sent a bounded
// number of times, the least-sent first, and only the strongest rumor per member is kept. A bounded memory of
// rumors already seen stops a node from spreading the same news twice; the hop budget each rumor carries
// ends an epidemic even where that memory forgot.
import type { Rumor, RumorKind } from '../../../src-shared/protocol/membership-wire.ts';

/** SWIM's precedence at one incarnation: a departure or death outranks a suspicion, which outranks "alive". */
const STRENGTH: Record<RumorKind, number> = { alive: 0, suspect: 1, dead: 2, left: 3 };

/** A rumor's rank as one number: incarnation first, then kind (alive is beaten by anything at its incarnation). */
function rank(rumor: Rumor): number {
  return rumor.incarnation * 4 + STRENGTH[rumor.kind];
}

/** True when `a` overrides `b` about the same member. */
export function overrides(a: Rumor, b: Rumor): boolean {
  return rank(a) > rank(b);
}

interface Queued {
  readonly rumor: Rumor;
  sent: number;
}

export class RumorQueue {
  readonly #queue = new Map<string, Queued>();
  /** The rank of the strongest rumor seen per member (bounded; oldest forgotten first). */
  readonly #seen = new Map<string, number>();
  readonly #transmissions: number;
  readonly #memory: number;
  readonly #queueBound: number;

  constructor(transmissions: number, memory: number, queueBound: number) {
    this.#transmissions = transmissions;
    this.#memory = memory;
    this.#queueBound = queueBound;
  }

  get size(): number {
    return this.#queue.size;
  }

  /** Record a rumor; true when it is news. News with hops left is queued to be passed on (one hop less). */
  learn(rumor: Rumor): boolean {
    const known = this.#seen.get(rumor.peerId);
    const r = rank(rumor);
    if (known !== undefined && r <= known) return false;
    this.#seen.delete(rumor.peerId);
    if (this.#seen.size >= this.#memory) {
      const oldest = this.#seen.keys().next().value;
      if (oldest !== undefined) this.#seen.delete(oldest);
    }
    this.#seen.set(rumor.peerId, r);
    this.#queue.delete(rumor.peerId);
    if (rumor.ttl <= 0) return true;
    if (this.#queue.size >= this.#queueBound) {
      const oldest = this.#queue.keys().next().value;
      if (oldest !== undefined) this.#queue.delete(oldest);
    }
    this.#queue.set(rumor.peerId, { rumor: { ...rumor, ttl: rumor.ttl - 1 }, sent: 0 });
    return true;
  }

  /** Whether a rumor at least as strong as `kind` at `incarnation` is remembered (dead includes left). */
  knows(peerId: string, kind: RumorKind, incarnation: number): boolean {
    const known = this.#seen.get(peerId);
    return known !== undefined && known >= incarnation * 4 + STRENGTH[kind];
  }

  /** Whether the strongest rumor remembered about a member says it left (at any incarnation). */
  knowsLeft(peerId: string): boolean {
    const known = this.#seen.get(peerId);
    return known !== undefined && known % 4 === STRENGTH.left;
  }

  /** Up to `max` rumors for one outgoing message, the least-sent first; each send counts. */
  take(max: number): Rumor[] {
    if (this.#queue.size === 0) return [];
    const picked: Queued[] = [];
    for (const queued of this.#queue.values()) {
      if (picked.length < max) {
        picked.push(queued);
        continue;
      }
      // Replace the most-sent of the picked when this one was sent less (max is small: a linear scan).
      let worst = 0;
      for (let i = 1; i < picked.length; i += 1) if (picked[i]!.sent > picked[worst]!.sent) worst = i;
      if (queued.sent < picked[worst]!.sent) picked[worst] = queued;
    }
    const rumors: Rumor[] = [];
    for (const queued of picked) {
      queued.sent += 1;
      rumors.push(queued.rumor);
      if (queued.sent >= this.#transmissions) this.#queue.delete(queued.rumor.peerId);
    }
    return rumors;
  }
}
