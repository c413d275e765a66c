// Sybil members (finding 9, routing part): keys that announce "ready, capacity 1024, load 0" and refuse every
// request. Real libp2p nodes and the EXO double; the Sybils are real workers with no engine, so each attempt
// on them is a real refusal over /og/infer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClusterDirectory } from '../../../../src-main/node/routing/cluster-directory.ts';
import { removeTemporaryDirs } from '../engine/engine-test-kit.ts';
import {
  HELLO,
  addEngine,
  connect,
  requesterFor,
  startNode,
  stopNode,
  type TestNode,
} from './routing-kit.ts';

let requester: TestNode;
let honest: TestNode;
let sybils: TestNode[];

beforeAll(async () => {
  [requester, honest, ...sybils] = await Promise.all([
    startNode(),
    startNode({ capacityPerTier: 4 }),
    ...Array.from({ length: 6 }, () => startNode()),
  ]);
  await addEngine(honest, 'model-a', { tokenRate: 500 });
  await Promise.all([honest, ...sybils].map((node) => connect(requester, node)));
}, 60_000);

afterAll(async () => {
  await Promise.all([requester, honest, ...(sybils ?? [])].filter(Boolean).map(stopNode));
  removeTemporaryDirs();
});

describe('Sybil members that claim huge capacity and refuse', () => {
  it('cost each Sybil its place in the draw after its first refusal', async () => {
    const directory: ClusterDirectory = {
      region: () => 'asia',
      members: () => [
        ...sybils.map((node) => ({
          peerId: node.peerId,
          status: 'up' as const,
          engineReady: true,
          capacity: 1024,
          load: 0,
        })),
        {
          peerId: honest.peerId,
          status: 'up' as const,
          engineReady: true,
          capacity: 4,
          load: honest.worker.load('model-a'),
        },
      ],
    };
    let refusals = 0;
    for (const sybil of sybils)
      sybil.worker.addEventListener('request', (event) => {
        if (event.detail.outcome === 'refused') refusals += 1;
      });
    // Enough attempts that the first request survives meeting every Sybil once.
    const routes = requesterFor(requester, directory, { spareStreamMs: 0, maxAttempts: 8 });
    const servedBy: string[] = [];
    for (let i = 0; i < 15; i += 1) {
      for await (const chunk of routes.chat('model-a', HELLO, { onRouted: (peer) => servedBy.push(peer) }))
        void chunk;
    }
    expect(servedBy).toEqual(Array.from({ length: 15 }, () => honest.peerId));
    // Each Sybil is tried at most once: before, every request drew Sybils first (their cost looks lowest).
    expect(refusals).toBeLessThanOrEqual(sybils.length);
    for (const sybil of sybils)
      if (routes.refusalWeight(sybil.peerId) > 0)
        expect(routes.refusalWeight(sybil.peerId)).toBeGreaterThan(0.9);
  }, 60_000);
});
