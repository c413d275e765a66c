// Finding 9, shard ownership: a Sybil copies the EXO node id of a machine in the worker's EXO cluster into
// its heartbeat to be paid for that machine's shard. Real parts: the worker's EXO supervisor against the EXO
// double (a two-machine cluster whose topology says where EXO reached each node), real libp2p nodes on
// distinct loopback addresses (the honest owner on the address EXO reached its node at, the Sybil elsewhere),
// and the worker's own view of its connections.
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ExoEngine } from '../../../../src-main/node/engine/exo/exo-engine.ts';
import type { ClusterMember } from '../../../../src-main/node/routing/cluster-directory.ts';
import { connectionAddresses } from '../../../../src-main/node/routing/connection-addresses.ts';
import { shardShareholders } from '../../../../src-main/node/routing/shard-shares.ts';
import { removeTemporaryDirs, spawnedExoEngine, waitForStatus } from '../engine/engine-test-kit.ts';
import { connect, startNode, stopNode, type TestNode } from './routing-kit.ts';

/** Where the worker's EXO reached the second machine of its cluster (the double's topology). */
const OWNER_ADDRESS = '127.0.0.2';

let worker: TestNode;
let owner: TestNode;
let sybil: TestNode;
let engine: ExoEngine;
let ownerNode: string;
let workerNode: string;

beforeAll(async () => {
  [worker, owner, sybil] = await Promise.all([
    startNode(),
    startNode({}, `/ip4/${OWNER_ADDRESS}/tcp/0`),
    startNode({}, '/ip4/127.0.0.3/tcp/0'),
  ]);
  // 500 MB per machine: the model fits only across both, so the instance spans the owner's machine.
  engine = await spawnedExoEngine({
    double: { nodes: 2, ramMb: 500, peerAddresses: OWNER_ADDRESS },
    init: { memoryMb: 500 },
  });
  await engine.start();
  await waitForStatus(engine, 'ready');
  await vi.waitFor(() => expect(Object.keys(engine.placement?.nodeAddresses ?? {})).toHaveLength(2));
  const placement = engine.placement!;
  workerNode = placement.localNode;
  ownerNode = placement.shares.find((share) => share.engineNodeId !== workerNode)!.engineNodeId;
  // The worker is connected to both, as cluster members are.
  await connect(worker, owner);
  await connect(worker, sybil);
}, 60_000);

afterAll(async () => {
  await engine?.stop();
  await Promise.all([worker, owner, sybil].filter(Boolean).map(stopNode));
  removeTemporaryDirs();
});

const member = (node: TestNode, engineNode: string): ClusterMember => ({
  peerId: node.peerId,
  status: 'up',
  engineReady: true,
  capacity: 2,
  load: 0,
  engineNode,
});

const holders = (members: readonly ClusterMember[]) =>
  shardShareholders(engine.placement, members, worker.peerId, connectionAddresses(worker.p2p.libp2p)).sort(
    (a, b) => a.peerId.localeCompare(b.peerId),
  );

describe('who is paid for an EXO shard (finding 9)', () => {
  it('reads from EXO’s topology where it reached each node of the serving instance', () => {
    expect(engine.placement?.nodeAddresses?.[ownerNode]).toEqual([OWNER_ADDRESS]);
    expect(engine.placement?.shares.map((share) => share.share)).toEqual([0.5, 0.5]);
  });

  it('pays the member whose connection comes from where EXO reached the node', () => {
    expect(holders([member(owner, ownerNode)])).toEqual(
      [
        { peerId: worker.peerId, share: 0.5 },
        { peerId: owner.peerId, share: 0.5 },
      ].sort((a, b) => a.peerId.localeCompare(b.peerId)),
    );
  });

  it('never pays a Sybil that copies the node id, alone or beside the owner', () => {
    // Alone (the owner is down or runs no OpenGateway): the share stays the worker's.
    expect(holders([member(sybil, ownerNode)])).toEqual([{ peerId: worker.peerId, share: 1 }]);
    // Beside the owner: the owner is still paid; the copy neither takes nor blocks its share.
    for (const members of [
      [member(sybil, ownerNode), member(owner, ownerNode)],
      [member(owner, ownerNode), member(sybil, ownerNode)],
    ])
      expect(holders(members).find((holder) => holder.peerId === owner.peerId)?.share).toBe(0.5);
    expect(holders([member(sybil, ownerNode), member(owner, ownerNode)])).toHaveLength(2);
    // Claiming the worker's own node gets nothing either.
    expect(holders([member(sybil, workerNode)])).toEqual([{ peerId: worker.peerId, share: 1 }]);
  });
});
