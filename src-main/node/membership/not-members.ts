// Peers that answered "not-member" for a cluster: they follow another cluster of the region, only watch this
// one, have not joined yet or left it. Asking them again would be wasted (each unanswered first contact used
// to be retried, and a view that ran empty re-seeded from the same peers every interval), so they are not
// tried again until the answer expires or news says they joined. Bounded like everything peers make us store.
export class NotMembers {
  /** peer → until when it is not tried; insertion order = oldest first. */
  readonly #until = new Map<string, number>();
  readonly #bound: number;

  constructor(bound: number) {
    this.#bound = bound;
  }

  mark(peerId: string, until: number): void {
    this.#until.delete(peerId);
    if (this.#until.size >= this.#bound) {
      const oldest = this.#until.keys().next().value;
      if (oldest !== undefined) this.#until.delete(oldest);
    }
    this.#until.set(peerId, until);
  }

  /** True while `peerId` said it is no member and that answer has not expired. */
  has(peerId: string, now: number): boolean {
    const until = this.#until.get(peerId);
    if (until === undefined) return false;
    if (until > now) return true;
    this.#until.delete(peerId);
    return false;
  }

  /** News that it is a member now (its join announced or made to us): it may be tried again. */
  clear(peerId: string): void {
    this.#until.delete(peerId);
  }
}
