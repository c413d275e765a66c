// How many rumors one peer may make this node consider per interval. Every rumor may become a candidate, a
// burial or something to pass on, and all of those are bounded stores: without a per-sender budget one peer
// sending many messages full of invented members would push honest candidates and rumors out of them. An
// honest peer sends a few messages per interval (its probe, its acks, a shuffle) of at most
// maxRumorsPerMessage each, well inside the budget.
export class RumorBudget {
  /** sender → rumors left in the current window, and when that window started; oldest first. */
  readonly #senders = new Map<string, { left: number; since: number }>();
  readonly #perWindow: number;
  readonly #windowMs: number;
  readonly #bound: number;

  constructor(perWindow: number, windowMs: number, bound: number) {
    this.#perWindow = perWindow;
    this.#windowMs = windowMs;
    this.#bound = bound;
  }

  /** How many of `count` rumors from `from` may be considered now (each one counted). */
  take(from: string, count: number, now: number): number {
    let entry = this.#senders.get(from);
    if (entry === undefined || now - entry.since >= this.#windowMs) {
      this.#senders.delete(from);
      if (this.#senders.size >= this.#bound) {
        const oldest = this.#senders.keys().next().value;
        if (oldest !== undefined) this.#senders.delete(oldest);
      }
      entry = { left: this.#perWindow, since: now };
      this.#senders.set(from, entry);
    }
    const allowed = Math.min(count, entry.left);
    entry.left -= allowed;
    return allowed;
  }
}
