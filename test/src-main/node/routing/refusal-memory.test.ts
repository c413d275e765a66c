import { describe, expect, it } from 'vitest';
import { REFUSAL_AVOID_WEIGHT, RefusalMemory } from '../../../../src-main/node/routing/refusal-memory.ts';

describe('RefusalMemory', () => {
  it('weighs refusals, halves them every half-life, and forgives a member that serves', () => {
    let now = 0;
    const memory = new RefusalMemory({ halfLifeMs: 1_000, now: () => now });
    memory.record('a', 'busy');
    expect(memory.weight('a')).toBeLessThan(REFUSAL_AVOID_WEIGHT);
    memory.record('a', 'busy');
    expect(memory.weight('a')).toBeGreaterThanOrEqual(REFUSAL_AVOID_WEIGHT);
    now += 1_000;
    expect(memory.weight('a')).toBeCloseTo(0.4);
    memory.record('b', 'refused');
    memory.served('b');
    expect(memory.weight('b')).toBeCloseTo(0.5);
    expect(memory.weight('never')).toBe(0);
  });

  it('forgets the oldest members beyond its size', () => {
    const memory = new RefusalMemory({ maxMembers: 2 });
    memory.record('a', 'refused');
    memory.record('b', 'refused');
    memory.record('c', 'refused');
    expect(memory.weight('a')).toBe(0);
    expect(memory.weight('c')).toBeGreaterThan(0);
  });
});
