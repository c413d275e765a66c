import { describe, expect, it } from 'vitest';
import { pickWorker, type WorkerCandidate } from '../../../../src-main/node/routing/worker-selection.ts';

const member = (peerId: string, load: number, capacity = 4, rttMs: number | null = 10): WorkerCandidate => ({
  peerId,
  load,
  capacity,
  rttMs,
});

/** A seeded generator, so the distribution test is repeatable. */
function seeded(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

describe('pickWorker', () => {
  it('never picks a full member, and gives null when all are full', () => {
    expect(pickWorker([member('a', 4), member('b', 4)])).toBeNull();
    expect(pickWorker([member('a', 4), member('b', 1)])?.peerId).toBe('b');
    expect(pickWorker([])).toBeNull();
  });

  it('of the two it samples, keeps the less loaded one', () => {
    const random = seeded(7);
    for (let i = 0; i < 50; i += 1) {
      expect(pickWorker([member('idle', 0), member('busy', 3)], random)?.peerId).toBe('idle');
    }
  });

  it('spreads requests over equal members instead of herding onto one', () => {
    const random = seeded(42);
    const counts = new Map<string, number>();
    const members = Array.from({ length: 10 }, (_, index) => member(`m${index}`, 0));
    for (let i = 0; i < 2_000; i += 1) {
      const chosen = pickWorker(members, random);
      counts.set(chosen?.peerId ?? 'none', (counts.get(chosen?.peerId ?? 'none') ?? 0) + 1);
    }
    expect(counts.size).toBe(10);
    for (const count of counts.values()) expect(count).toBeGreaterThan(100);
  });

  it('prefers the nearer of two equally loaded members', () => {
    const random = seeded(3);
    for (let i = 0; i < 20; i += 1) {
      expect(pickWorker([member('far', 1, 4, 300), member('near', 1, 4, 5)], random)?.peerId).toBe('near');
    }
  });

  it('leaves members that refused lately out of the draw while another is free (findings 7, 9)', () => {
    const random = seeded(3);
    const sybils = Array.from({ length: 9 }, (_, i) => ({ ...member(`sybil-${i}`, 0, 1024), refusals: 1 }));
    for (let i = 0; i < 50; i += 1)
      expect(pickWorker([...sybils, member('honest', 3)], random)?.peerId).toBe('honest');
    // With no one else free they are still tried: refusals weigh, they do not ban.
    expect(pickWorker([...sybils, member('honest', 4)], random)?.peerId).toMatch(/^sybil-/);
  });
});
