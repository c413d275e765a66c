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

/** Where the worker's EXO reached each node, and where each member's connection comes from. */
const NODE_ADDRESSES = { 'exo-w': ['10.0.0.1'], 'exo-s': ['10.0.0.2'], 'exo-d': ['10.0.0.4'] };
const FROM: Record<string, string[]> = {
  W: ['10.0.0.1'],
  S: ['10.0.0.2'],
  D: ['10.0.0.4'],
  Sybil: ['203.0.113.9'],
};
const addresses = (peerId: string) => FROM[peerId] ?? [];

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
        nodeAddresses: NODE_ADDRESSES,
      },
      [member('W', 'exo-w'), member('S', 'exo-s'), member('D', 'exo-d', 'down')],
      'W',
      addresses,
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
        nodeAddresses: NODE_ADDRESSES,
      },
      [member('D', 'exo-d', 'down')],
      'W',
      addresses,
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
      nodeAddresses: NODE_ADDRESSES,
    };
    const paid = [
      { peerId: 'W', share: 0.5 },
      { peerId: 'S', share: 0.5 },
    ];
    // Before the honest member and after it: the owner keeps its share, the copy gets nothing.
    for (const members of [
      [member('S', 'exo-s'), member('Sybil', 'exo-s')],
      [member('Sybil', 'exo-s'), member('S', 'exo-s')],
    ])
      expect(shardShareholders(placement, members, 'W', addresses)).toEqual(paid);
    // Alone, the copy is still not paid.
    expect(shardShareholders(placement, [member('Sybil', 'exo-s')], 'W', addresses)).toEqual([
      { peerId: 'W', share: 1 },
    ]);
    // Nor one that claims the worker's own EXO node.
    expect(
      shardShareholders(placement, [member('S', 'exo-s'), member('Sybil', 'exo-w')], 'W', addresses),
    ).toEqual(paid);
  });

  it('pays no one for a node two members reach from its address, nor without EXO’s addresses', () => {
    const placement = {
      localNode: 'exo-w',
      shares: [
        { engineNodeId: 'exo-w', share: 0.5 },
        { engineNodeId: 'exo-s', share: 0.5 },
      ],
      nodeAddresses: NODE_ADDRESSES,
    };
    const sameMachine = (peerId: string) => (peerId === 'S2' ? ['10.0.0.2'] : addresses(peerId));
    expect(
      shardShareholders(placement, [member('S', 'exo-s'), member('S2', 'exo-s')], 'W', sameMachine),
    ).toEqual([{ peerId: 'W', share: 1 }]);
    // An engine that says nothing about where its nodes are: no claim can be checked.
    const { nodeAddresses: _unknown, ...blind } = placement;
    expect(shardShareholders(blind, [member('S', 'exo-s')], 'W', addresses)).toEqual([
      { peerId: 'W', share: 1 },
    ]);
    // IPv4-mapped IPv6 connections are the same address.
    expect(shardShareholders(placement, [member('S', 'exo-s')], 'W', () => ['::ffff:10.0.0.2'])).toEqual([
      { peerId: 'W', share: 0.5 },
      { peerId: 'S', share: 0.5 },
    ]);
  });

  it('survives a member whose heartbeat names an Object.prototype key as its EXO node', () => {
    const placement = {
      localNode: 'exo-w',
      shares: [
        { engineNodeId: 'exo-w', share: 0.5 },
        { engineNodeId: 'exo-s', share: 0.5 },
      ],
      nodeAddresses: NODE_ADDRESSES,
    };
    // Each id passes the heartbeat's pattern; looked up on a plain object, each one is an inherited function.
    for (const id of ['constructor', 'hasOwnProperty', 'isPrototypeOf', '__defineGetter__', '__proto__'])
      expect(
        shardShareholders(placement, [member('S', 'exo-s'), member('Sybil', id)], 'W', addresses),
      ).toEqual([
        { peerId: 'W', share: 0.5 },
        { peerId: 'S', share: 0.5 },
      ]);
  });
});
