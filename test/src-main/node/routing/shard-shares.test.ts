import { describe, expect, it } from 'vitest';
import type { ClusterMember } from '../../../../src-main/node/routing/cluster-directory.ts';
import { shardShareholders } from '../../../../src-main/node/routing/shard-shares.ts';

const member = (
  peerId: string,
  engineNode?: string,
  status: ClusterMember['status'] = 'up',
): ClusterMember => ({
  peerId,
  status,
  engineReady: true,
  capacity: 2,
  load: 0,
  ...(engineNode ? { engineNode } : {}),
});

describe('who a sharded request pays', () => {
  it('pays the worker alone when its engine runs on this machine only, or says nothing', () => {
    expect(shardShareholders(null, [], 'W')).toEqual([{ peerId: 'W', share: 1 }]);
    expect(
      shardShareholders({ localNode: 'exo-w', shares: [{ engineNodeId: 'exo-w', share: 1 }] }, [], 'W'),
    ).toEqual([{ peerId: 'W', share: 1 }]);
  });

  it('maps each EXO node to the member that announced it, and the rest to the worker', () => {
    const holders = shardShareholders(
      {
        localNode: 'exo-w',
        shares: [
          { engineNodeId: 'exo-w', share: 0.25 },
          { engineNodeId: 'exo-s', share: 0.5 },
          { engineNodeId: 'exo-unknown', share: 0.25 },
        ],
      },
      [member('W', 'exo-w'), member('S', 'exo-s'), member('D', 'exo-d', 'down')],
      'W',
    );
    expect(holders).toEqual([
      { peerId: 'W', share: 0.5 },
      { peerId: 'S', share: 0.5 },
    ]);
  });

  it('never pays a member that is down, and normalises shares that do not add up to 1', () => {
    const holders = shardShareholders(
      {
        localNode: 'exo-w',
        shares: [
          { engineNodeId: 'exo-w', share: 1 },
          { engineNodeId: 'exo-d', share: 3 },
          { engineNodeId: 'exo-x', share: Number.NaN },
        ],
      },
      [member('D', 'exo-d', 'down')],
      'W',
    );
    expect(holders).toEqual([{ peerId: 'W', share: 1 }]);
  });

  it('pays no Sybil that copies a shard’s EXO node id into its heartbeat (finding 9)', () => {
    const placement = {
      localNode: 'exo-w',
      shares: [
        { engineNodeId: 'exo-w', share: 0.5 },
        { engineNodeId: 'exo-s', share: 0.5 },
      ],
    };
    // Before the honest member and after it: either way the contested share goes to neither.
    for (const members of [
      [member('S', 'exo-s'), member('Sybil', 'exo-s')],
      [member('Sybil', 'exo-s'), member('S', 'exo-s')],
    ])
      expect(shardShareholders(placement, members, 'W')).toEqual([{ peerId: 'W', share: 1 }]);
    // Nor one that claims the worker's own EXO node.
    expect(shardShareholders(placement, [member('S', 'exo-s'), member('Sybil', 'exo-w')], 'W')).toEqual([
      { peerId: 'W', share: 0.5 },
      { peerId: 'S', share: 0.5 },
    ]);
  });
});
