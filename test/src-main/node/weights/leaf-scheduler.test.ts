// The leaf scheduler's decisions with in-process sources (plain functions that store nothing): the endgame
// (an idle source asks again for a leaf a slow one still holds, and the first copy cancels the rest), the
// origin never waiting on peers, each leaf counted once, and a dropped peer's reason naming its error.
import { CID } from 'multiformats/cid';
import { sha256 } from 'multiformats/hashes/sha2';
import * as raw from 'multiformats/codecs/raw';
import { describe, expect, it } from 'vitest';
import type { FileLeaf } from '../../../../src-main/node/weights/file-layout.ts';
import {
  DEFAULT_LEAF_SCHEDULER_POLICY,
  fetchLeaves,
  type LeafSchedulerPolicy,
  type PeerLeafSource,
} from '../../../../src-main/node/weights/leaf-scheduler.ts';

const SIZE = 1024;

async function leaves(count: number): Promise<FileLeaf[]> {
  return Promise.all(
    Array.from({ length: count }, async (_, i) => ({
      cid: CID.createV1(raw.code, await sha256.digest(new Uint8Array([i]))),
      offset: i * SIZE,
      size: SIZE,
    })),
  );
}

const policy = (overrides: Partial<LeafSchedulerPolicy>): LeafSchedulerPolicy => ({
  ...DEFAULT_LEAF_SCHEDULER_POLICY,
  peerDepth: 1,
  ...overrides,
});

/** Resolves at once for every leaf but `hold`, which it answers only when cancelled (by rejecting). */
function peer(peerId: string, hold: ReadonlySet<number> = new Set()) {
  const asked: number[] = [];
  const cancelled: number[] = [];
  const source: PeerLeafSource = {
    peerId,
    fetch: (leaf, signal) => {
      asked.push(leaf.offset / SIZE);
      if (!hold.has(leaf.offset / SIZE)) return new Promise((resolve) => setTimeout(resolve, 1));
      return new Promise((_, reject) =>
        signal.addEventListener('abort', () => {
          cancelled.push(leaf.offset / SIZE);
          reject(new Error('cancelled'));
        }),
      );
    },
  };
  return { source, asked, cancelled };
}

describe('fetchLeaves', () => {
  it('endgame: a fast peer takes over the leaf a stalled peer holds, and the stalled request is cancelled', async () => {
    const all = await leaves(6);
    const slow = peer('slow', new Set([0]));
    const fast = peer('fast');
    const from: string[] = [];
    const dropped: string[] = [];
    await fetchLeaves(
      all,
      {
        peers: () => [slow.source, fast.source],
        origin: null,
        onLeaf: (leaf, source) => from.push(`${leaf.offset / SIZE}:${source}`),
        onPeerDropped: (peerId) => dropped.push(peerId),
      },
      policy({ originMode: 'never', maxStrikes: 1 }),
    );
    expect(from).toContain('0:fast');
    expect(from).toHaveLength(6); // Each leaf counted once.
    expect(slow.cancelled).toEqual([0]);
    expect(dropped).toEqual([]); // Being beaten to a leaf is no strike.
  });

  it('the origin asks for the leaves peers still hold instead of waiting for them', async () => {
    const all = await leaves(4);
    const stalled = peer('stalled', new Set([0, 1, 2, 3]));
    const spans: number[][] = [];
    let originBytes = 0;
    await fetchLeaves(
      all,
      {
        peers: () => [stalled.source],
        origin: {
          fetch: async (span, _signal, onStored) => {
            spans.push(span.map((leaf) => leaf.offset / SIZE));
            for (const leaf of span) {
              await new Promise((resolve) => setTimeout(resolve, 1));
              onStored(leaf);
            }
          },
        },
        onLeaf: (_leaf, _from, counts) => (originBytes = counts.originBytes),
      },
      policy({ originMode: 'always', peerDepth: 4, originConcurrency: 1, blockTimeoutMs: 60_000 }),
    );
    expect(originBytes).toBe(4 * SIZE);
    expect(spans.flat().sort()).toEqual([0, 1, 2, 3]);
    expect(stalled.cancelled.sort()).toEqual([0, 1, 2, 3]);
  });

  it('names the error a dropped peer failed with', async () => {
    class BlockNotFoundError extends Error {
      override readonly name = 'BlockNotFoundError';
    }
    const all = await leaves(2);
    const failing: PeerLeafSource = {
      peerId: 'failing',
      fetch: () => Promise.reject(new BlockNotFoundError('the peer does not have block 0')),
    };
    const good = peer('good');
    const reasons: string[] = [];
    await fetchLeaves(
      all,
      {
        peers: () => [failing, good.source],
        origin: null,
        onPeerDropped: (peerId, reason, misbehaved) => reasons.push(`${peerId} ${reason} ${misbehaved}`),
      },
      policy({ originMode: 'never', maxStrikes: 2, maxRequestsPerLeaf: 1 }),
    );
    // Failing is not misbehaving: no gossip penalty follows.
    expect(reasons).toEqual(['failing the peer does not have block 0 false']);
  });

  it('drops a peer caught sending a block it was not asked for at once, as misbehaving', async () => {
    const all = await leaves(3);
    const caught = new AbortController();
    const liar: PeerLeafSource = {
      peerId: 'liar',
      misbehaved: caught.signal,
      fetch: (_leaf, signal) => {
        // Its first answer is a corrupted block (block-arrivals.ts fires `misbehaved`); the request never ends.
        caught.abort(new Error('sent a block that is not the one asked for (corrupted)'));
        return Promise.reject(signal.reason as Error);
      },
    };
    const good = peer('good');
    const drops: string[] = [];
    await fetchLeaves(
      all,
      {
        peers: () => [liar, good.source],
        origin: null,
        onPeerDropped: (peerId, reason, misbehaved) => drops.push(`${peerId} ${reason} ${misbehaved}`),
      },
      policy({ originMode: 'never', maxStrikes: 100 }),
    );
    expect(drops).toEqual(['liar sent a block that is not the one asked for (corrupted) true']);
  });
});
