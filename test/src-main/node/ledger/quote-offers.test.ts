import { describe, expect, it } from 'vitest';
import type { Quote } from '../../../../src-shared/ledger/payment/quote.ts';
import { QuoteOffers } from '../../../../src-main/node/ledger/quote-offers.ts';

/** Only the id and the expiry matter to the offer book. */
function quote(id: number, expiresAt: number): Quote {
  return { id: new Uint8Array(32).fill(id), body: { expiresAt: BigInt(expiresAt) } } as unknown as Quote;
}

describe('quote offers', () => {
  it('keeps no more unused offers per peer than the limit, each used once and only by its peer', () => {
    const offers = new QuoteOffers(() => 1_000);
    expect(offers.add(quote(1, 5_000), 'peer-a', 2)).toBe(true);
    expect(offers.add(quote(2, 5_000), 'peer-a', 2)).toBe(true);
    expect(offers.add(quote(3, 5_000), 'peer-a', 2)).toBe(false);
    expect(offers.add(quote(4, 5_000), 'peer-b', 2)).toBe(true);
    expect(offers.held('peer-a')).toBe(2);
    // Another peer cannot use peer-a's offer, and trying does not use it up.
    expect(offers.take(quote(1, 0).id, 'peer-b')).toBeNull();
    expect(offers.take(quote(1, 0).id, 'peer-a')?.id).toEqual(quote(1, 0).id);
    expect(offers.take(quote(1, 0).id, 'peer-a')).toBeNull();
    expect(offers.held('peer-a')).toBe(1);
  });

  it('forgets expired offers and caps the offers kept over all peers', () => {
    const now = { ms: 1_000 };
    const offers = new QuoteOffers(() => now.ms, 3);
    offers.add(quote(1, 2_000), 'peer-a', 8);
    offers.add(quote(2, 3_000), 'peer-a', 8);
    now.ms = 2_500;
    expect(offers.take(quote(1, 0).id, 'peer-a')).toBeNull();
    expect(offers.held('peer-a')).toBe(1);
    for (const id of [3, 4, 5]) offers.add(quote(id, 9_000), 'peer-b', 8);
    expect(offers.size).toBe(3);
    // The oldest (id 2) went first.
    expect(offers.take(quote(2, 0).id, 'peer-a')).toBeNull();
    expect(offers.take(quote(5, 0).id, 'peer-b')).not.toBeNull();
  });
});
