// The quotes a worker handed out ahead of the request (issue 17: the quote off the critical path). At the end
// of a paid reply the worker offers the requester a signed quote for its next request on the tier; that next
// request carries its RESERVE in the first frame. An offer is used once and only until it expires, and a
// requester holds no more unused offers than the worker has slots, so offers cost a bounded amount of memory.
import { toHex } from '../../../src-shared/ledger/bytes.ts';
import type { Quote } from '../../../src-shared/ledger/payment/quote.ts';

/** Offers kept over all requesters at most (the oldest go first beyond). */
export const MAX_OFFERS = 4096;

interface Offer {
  readonly quote: Quote;
  readonly peer: string;
}

export class QuoteOffers {
  /** By quote id (the RESERVE's linkId), oldest first. */
  readonly #offers = new Map<string, Offer>();
  readonly #perPeer = new Map<string, number>();
  readonly #now: () => number;
  readonly #max: number;

  constructor(now: () => number, max = MAX_OFFERS) {
    this.#now = now;
    this.#max = max;
  }

  get size(): number {
    return this.#offers.size;
  }

  /** Unused offers `peer` holds now. */
  held(peer: string): number {
    this.#prune();
    return this.#perPeer.get(peer) ?? 0;
  }

  /** Keep `quote` as offered to `peer`; false when `peer` holds `limit` offers already. */
  add(quote: Quote, peer: string, limit: number): boolean {
    if (this.held(peer) >= limit) return false;
    while (this.#offers.size >= this.#max) this.#drop(this.#offers.keys().next().value!);
    this.#offers.set(toHex(quote.id), { quote, peer });
    this.#perPeer.set(peer, (this.#perPeer.get(peer) ?? 0) + 1);
    return true;
  }

  /** The unexpired offer with this quote id made to `peer`, removed; null when there is none. */
  take(quoteId: Uint8Array, peer: string): Quote | null {
    const key = toHex(quoteId);
    const offer = this.#offers.get(key);
    if (!offer || offer.peer !== peer) return null;
    this.#drop(key);
    return offer.quote.body.expiresAt > BigInt(this.#now()) ? offer.quote : null;
  }

  /** Expired offers go (they expire in the order they were made: one TTL for all). */
  #prune(): void {
    const now = BigInt(this.#now());
    for (const [key, offer] of this.#offers) {
      if (offer.quote.body.expiresAt > now) break;
      this.#drop(key);
    }
  }

  #drop(key: string): void {
    const offer = this.#offers.get(key);
    if (!offer) return;
    this.#offers.delete(key);
    const left = (this.#perPeer.get(offer.peer) ?? 1) - 1;
    if (left > 0) this.#perPeer.set(offer.peer, left);
    else this.#perPeer.delete(offer.peer);
  }
}
