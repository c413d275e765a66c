import { describe, expect, it } from 'vitest';
import { MembershipView } from '../../../../src-main/node/membership/membership-view.ts';
import type { Heartbeat } from '../../../../src-shared/protocol/index.ts';

const cluster = { region: 'asia', tier: 'model-a' } as const;

function beat(peerId: string, seq: number, overrides: Partial<Heartbeat> = {}): Heartbeat {
  return {
    peerId,
    region: 'asia',
    tier: 'model-a',
    state: 'active',
    engine: 'ready',
    modelsReady: [],
    capacity: 2,
    load: 0,
    version: 't',
    seq,
    sentAt: seq,
    intervalMs: 1000,
    ...overrides,
  };
}

function view(maxMembers = 100): MembershipView {
  return new MembershipView(cluster, { missedHeartbeats: 3, maxMembers, forgetDownAfterMs: 10_000 });
}

describe('membership view', () => {
  it('reports a member up on its first heartbeat and only changes after that', () => {
    const v = view();
    expect(v.apply(beat('A', 1), 0)).toEqual({ cluster, peerId: 'A', from: null, to: 'up', reason: null });
    expect(v.apply(beat('A', 2), 1000)).toBeNull();
    expect(v.apply(beat('A', 3, { state: 'paused' }), 2000)).toMatchObject({ from: 'up', to: 'paused' });
    expect(v.apply(beat('A', 4, { state: 'leaving' }), 3000)).toMatchObject({ to: 'down', reason: 'left' });
    expect(v.lastSeq('A')).toBe(4);
  });

  it('marks a member down after the missed intervals it announced, not before', () => {
    const v = view();
    v.apply(beat('A', 1, { intervalMs: 1000 }), 0);
    v.apply(beat('B', 1, { intervalMs: 5000 }), 0);
    expect(v.sweep(3000)).toEqual([]);
    expect(v.sweep(3001)).toEqual([{ cluster, peerId: 'A', from: 'up', to: 'down', reason: 'timeout' }]);
    expect(v.get('B')?.status).toBe('up');
    expect(v.sweep(15_001).map((change) => change.peerId)).toEqual(['B']);
  });

  it('marks a disconnected member down once, revives it on a new heartbeat, forgets it later', () => {
    const v = view();
    v.apply(beat('A', 1), 0);
    expect(v.markDown('A', 'disconnected', 10)).toMatchObject({ to: 'down', reason: 'disconnected' });
    expect(v.markDown('A', 'disconnected', 20)).toBeNull();
    expect(v.apply(beat('A', 2), 30)).toMatchObject({ from: 'down', to: 'up' });
    v.markDown('A', 'timeout', 40);
    v.sweep(10_040);
    expect(v.get('A')).toBeDefined();
    v.sweep(10_041);
    expect(v.get('A')).toBeUndefined();
  });

  it('ignores a first "leaving" from a stranger, and when full lets the quietest member make room', () => {
    const v = view(2);
    expect(v.apply(beat('X', 1, { state: 'leaving' }), 0)).toBeNull();
    expect(v.get('X')).toBeUndefined();
    v.apply(beat('A', 1), 0);
    v.apply(beat('B', 1), 10);
    v.apply(beat('A', 2), 20);
    // Full: C is new and honest; B was heard from longest ago, so B makes room (finding 9).
    expect(v.apply(beat('C', 1), 30)).toMatchObject({ peerId: 'C', to: 'up' });
    expect(
      v
        .members()
        .map((m) => m.peerId)
        .sort(),
    ).toEqual(['A', 'C']);
  });

  it('when full, evicts a down member before any live one', () => {
    const v = view(2);
    v.apply(beat('A', 1), 0);
    v.apply(beat('B', 1), 10);
    v.markDown('B', 'disconnected', 20);
    v.apply(beat('C', 1), 30);
    expect(v.get('A')?.status).toBe('up');
    expect(v.get('B')).toBeUndefined();
  });
});
