import { describe, expect, it } from 'vitest';
import type {
  ClusterDirectory,
  ClusterMember,
  MemberLoad,
} from '../../../../src-main/node/routing/cluster-directory.ts';
import { MemberChoice } from '../../../../src-main/node/routing/member-choice.ts';
import { RefusalMemory } from '../../../../src-main/node/routing/refusal-memory.ts';

const member = (peerId: string, load: number): ClusterMember => ({
  peerId,
  status: 'up',
  engineReady: true,
  capacity: 2,
  load,
});

function choiceOver(members: ClusterMember[], askLoad?: (peerId: string) => MemberLoad | null) {
  const directory: ClusterDirectory = {
    region: () => 'asia',
    members: () => members,
    ...(askLoad ? { askLoad: (_tier: string, peerId: string) => Promise.resolve(askLoad(peerId)) } : {}),
  };
  return new MemberChoice(
    { directory, refusals: new RefusalMemory() },
    { busyHoldMs: 1_000, tierLabel: (tier) => tier, describe: (tier) => tier },
  );
}

describe('MemberChoice', () => {
  it('asks members that once announced a full queue instead of waiting beside them while they are idle', async () => {
    // Both announced 2 of 2 while they were busy; membership spreads only rare changes, so it still says so.
    const members = [member('worker-a', 2), member('worker-b', 2)];
    const asked: string[] = [];
    const choice = choiceOver(members, (peerId) => {
      asked.push(peerId);
      return { capacity: 2, load: 0, ready: true };
    });
    const chosen = await choice.choose('model-a', new Map());
    expect(chosen).not.toBeNull();
    expect(['worker-a', 'worker-b']).toContain((chosen as { peerId: string }).peerId);
    expect(asked.sort()).toEqual(['worker-a', 'worker-b']);
  });

  it('tries a member that does not answer the load question rather than waiting (the attempt will tell)', async () => {
    const choice = choiceOver([member('worker-a', 2), member('worker-b', 2)], () => null);
    expect(await choice.choose('model-a', new Map())).not.toBeNull();
  });

  it('waits in line when the members say they are full right now', async () => {
    const choice = choiceOver([member('worker-a', 0), member('worker-b', 0)], () => ({
      capacity: 2,
      load: 2,
      ready: true,
    }));
    expect(await choice.choose('model-a', new Map())).toBeNull();
  });

  it('without a way to ask (a list of members with current loads), the announced loads decide', async () => {
    expect(
      await choiceOver([member('worker-a', 2), member('worker-b', 2)]).choose('model-a', new Map()),
    ).toBeNull();
    const chosen = await choiceOver([member('worker-a', 2), member('worker-b', 1)]).choose(
      'model-a',
      new Map(),
    );
    expect((chosen as { peerId: string }).peerId).toBe('worker-b');
  });
});
