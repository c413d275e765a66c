import { describe, expect, it } from 'vitest';
import { FIRST_CONTACT_TRIES, SampledView } from '../../../../src-main/node/membership/sampled-view.ts';

const view = (activeSize = 2, passiveSize = 3) =>
  new SampledView('self', { activeSize, passiveSize, deadMemory: 4 }, () => 0);

describe('sampled view', () => {
  it('a full passive view lets its quietest candidate go, so new members still get in (finding 9)', () => {
    const v = view();
    v.offer('A', 0, 0);
    v.offer('B', 0, 10);
    v.offer('C', 0, 20);
    v.offer('A', 0, 30); // heard again: no longer the quietest
    v.offer('D', 0, 40);
    expect(v.passiveSize).toBe(3);
    // B was heard from longest ago.
    v.promote(50);
    v.promote(50);
    const promoted = [...v.activeMembers()].map((m) => m.peerId);
    expect(promoted).not.toContain('B');
  });

  it('a full active view demotes its quietest member to admit one that just spoke to us', () => {
    const v = view();
    v.admit('A', 0, 0);
    v.admit('B', 0, 10);
    v.admit('C', 0, 20);
    expect(v.activeIds().sort()).toEqual(['B', 'C']);
    expect(v.passiveSize).toBe(1);
  });

  it('never re-adds a member buried at an incarnation, unless it comes back with a newer one', () => {
    const v = view();
    v.admit('A', 3, 0);
    v.bury('A', 3);
    v.offer('A', 3, 10);
    expect(v.passiveSize).toBe(0);
    v.revive('A', 4);
    v.offer('A', 4, 20);
    expect(v.passiveSize).toBe(1);
  });

  it('a candidate that misses its first contact is tried again an interval later, and forgotten after a few misses', () => {
    const v = view();
    v.offer('A', 0, 0);
    for (let miss = 1; miss < FIRST_CONTACT_TRIES; miss += 1) {
      const now = miss * 1000;
      expect(v.promote(now).map((m) => m.peerId)).toEqual(['A']);
      v.missed('A', now, 1000);
      expect(v.active('A')).toBeUndefined();
      expect(v.passiveSize).toBe(1);
      // Not before its retry time.
      expect(v.promote(now + 999)).toEqual([]);
    }
    const last = FIRST_CONTACT_TRIES * 1000;
    expect(v.promote(last).map((m) => m.peerId)).toEqual(['A']);
    v.missed('A', last, 1000);
    expect(v.passiveSize).toBe(0);
    expect(v.activeSize).toBe(0);
  });

  it('an answer forgives earlier misses', () => {
    const v = view();
    v.offer('A', 0, 0);
    v.promote(0);
    v.missed('A', 0, 10);
    v.promote(10);
    v.answered('A');
    v.active('A')!.status = 'alive';
    v.demote('A', 20);
    for (let miss = 1; miss < FIRST_CONTACT_TRIES; miss += 1) {
      v.promote(100 * miss);
      v.missed('A', 100 * miss, 10);
    }
    expect(v.passiveSize).toBe(1);
  });

  it('never holds itself', () => {
    const v = view();
    v.offer('self', 0, 0);
    expect(v.admit('self', 0, 0)).toBeNull();
    expect(v.passiveSize + v.activeSize).toBe(0);
  });
});
