// A token bucket per gossip sender for messages that are valid but cost their sender nothing (security
// finding 10): zero-balance OPENs, fraud proofs against accounts that never did anything, non-settlement
// reports. Beyond its rate a sender's such messages are ignored (neither stored nor passed on), so spam
// costs the spammer its reach and honest traffic keeps flowing. Bounded: the least recently seen senders are
// forgotten first. Also the work a peer may ask of this node's ledger-sync server (weighted by cost).

export interface SenderRateLimitInit {
  /** Messages a sender may send in a burst. */
  readonly burst: number;
  /** Messages per minute it earns back. */
  readonly perMinute: number;
  /** Senders remembered at most. */
  readonly maxSenders?: number;
  readonly now?: () => number;
}

export class SenderRateLimit {
  readonly #burst: number;
  readonly #perMs: number;
  readonly #maxSenders: number;
  readonly #now: () => number;
  readonly #buckets = new Map<string, { tokens: number; at: number }>();

  constructor(init: SenderRateLimitInit) {
    this.#burst = init.burst;
    this.#perMs = init.perMinute / 60_000;
    this.#maxSenders = init.maxSenders ?? 4096;
    this.#now = init.now ?? Date.now;
  }

  /** Take `cost` (one message by default) from `sender`'s bucket; false when it holds less. */
  take(sender: string, cost = 1): boolean {
    const now = this.#now();
    const bucket = this.#buckets.get(sender);
    let tokens = this.#burst;
    if (bucket) {
      tokens = Math.min(this.#burst, bucket.tokens + (now - bucket.at) * this.#perMs);
      this.#buckets.delete(sender);
    } else if (this.#buckets.size >= this.#maxSenders) {
      this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    const allowed = tokens >= cost;
    this.#buckets.set(sender, { tokens: allowed ? tokens - cost : tokens, at: now });
    return allowed;
  }
}
