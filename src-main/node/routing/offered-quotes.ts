// The quotes workers offered this requester for its next request (issue 17: the quote off the critical path).
// A paid reply's end may carry a signed quote for the next request on the same tier; the next request to that
// worker then carries its RESERVE in the first frame instead of waiting for a quote. The bytes are opaque here:
// the ledger checks them when it reserves (a stale one is refused there and the round trip is used instead).

/** Offers kept per worker and tier (a worker offers no more than it has slots). */
const MAX_PER_KEY = 8;
/** Workers and tiers remembered at most (the least recently offered go first). */
const MAX_KEYS = 256;

interface Kept {
  readonly quote: Uint8Array;
  readonly until: number;
}

export class OfferedQuotes {
  readonly #kept = new Map<string, Kept[]>();
  readonly #maxAgeMs: number;
  readonly #now: () => number;

  /** `maxAgeMs`: how long an offer is tried at all (the worker's own expiry is checked when reserving). */
  constructor(maxAgeMs: number, now: () => number = Date.now) {
    this.#maxAgeMs = maxAgeMs;
    this.#now = now;
  }

  /** Keep an offer from `peerId` for `tier`. */
  add(peerId: string, tier: string, quote: Uint8Array): void {
    const key = `${peerId}\u0000${tier}`;
    const list = this.#kept.get(key) ?? [];
    this.#kept.delete(key);
    list.push({ quote, until: this.#now() + this.#maxAgeMs });
    if (list.length > MAX_PER_KEY) list.shift();
    this.#kept.set(key, list);
    while (this.#kept.size > MAX_KEYS) this.#kept.delete(this.#kept.keys().next().value!);
  }

  /** The newest unexpired offer from `peerId` for `tier`, removed (an offer is used once); null if none. */
  take(peerId: string, tier: string): Uint8Array | null {
    const key = `${peerId}\u0000${tier}`;
    const list = this.#kept.get(key);
    if (!list) return null;
    const now = this.#now();
    let found: Uint8Array | null = null;
    while (list.length > 0 && found === null) {
      const kept = list.pop()!;
      if (kept.until > now) found = kept.quote;
    }
    // Older ones expire before newer ones: once the newest is stale, all are.
    if (found === null || list.length === 0) this.#kept.delete(key);
    return found;
  }

  /** Forget a worker's offers (it refused or failed: its offers are likely void). */
  forget(peerId: string): void {
    for (const key of [...this.#kept.keys()]) if (key.startsWith(`${peerId}\u0000`)) this.#kept.delete(key);
  }
}
