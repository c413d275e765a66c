import { lpStream } from '@libp2p/utils';
import { peerIdFromString } from '@libp2p/peer-id';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatChunk } from '../../../../src-shared/protocol/chat.ts';
import { INFER_PROTOCOL } from '../../../../src-shared/protocol/protocol-ids.ts';
import { NoLiveMemberError, PartialResponseError } from '../../../../src-main/node/routing/errors.ts';
import { removeTemporaryDirs } from '../engine/engine-test-kit.ts';
import {
  HELLO,
  addEngine,
  connect,
  directoryOf,
  requesterFor,
  startNode,
  stopNode,
  type TestNode,
} from './routing-kit.ts';

let requester: TestNode;
let asiaA: TestNode;
let asiaB: TestNode;
let europe: TestNode;

beforeAll(async () => {
  [requester, asiaA, asiaB, europe] = await Promise.all([
    startNode(),
    startNode({ capacityPerTier: 1 }),
    startNode({ capacityPerTier: 1 }),
    startNode(),
  ]);
  await Promise.all([
    addEngine(asiaA, 'model-a', { tokenRate: 200 }),
    addEngine(asiaB, 'model-a', { tokenRate: 200 }),
    addEngine(europe, 'model-a', { tokenRate: 200 }),
  ]);
  await Promise.all([connect(requester, asiaA), connect(requester, asiaB), connect(requester, europe)]);
}, 60_000);

afterAll(async () => {
  await Promise.all([requester, asiaA, asiaB, europe].filter(Boolean).map(stopNode));
  removeTemporaryDirs();
});

async function collect(stream: AsyncIterable<ChatChunk>): Promise<{ text: string; chunks: ChatChunk[] }> {
  const chunks: ChatChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return {
    text: chunks.map((chunk) => (chunk.type === 'delta' ? (chunk.content ?? '') : '')).join(''),
    chunks,
  };
}

describe('/og/infer between real nodes', () => {
  it('serves a request from a worker of the requester’s region, never from another region', async () => {
    const directory = directoryOf('asia', { 'model-a': [asiaA, asiaB] });
    const routes = requesterFor(requester, directory);
    const servedBy: string[] = [];
    for (let i = 0; i < 4; i += 1) {
      const { chunks, text } = await collect(
        routes.chat('model-a', HELLO, { onRouted: (peer) => servedBy.push(peer) }),
      );
      expect(text.length).toBeGreaterThan(0);
      const last = chunks.at(-1);
      expect(last?.type).toBe('usage');
      if (last?.type === 'usage') expect(last.usage.completionTokens).toBe(12);
      expect(chunks.slice(0, -1).every((chunk) => chunk.type === 'delta')).toBe(true);
    }
    expect(servedBy).toHaveLength(4);
    expect(servedBy.every((peer) => peer === asiaA.peerId || peer === asiaB.peerId)).toBe(true);
    expect(servedBy).not.toContain(europe.peerId);
  });

  it('spreads concurrent requests over the workers', async () => {
    const routes = requesterFor(requester, directoryOf('asia', { 'model-a': [asiaA, asiaB] }));
    const servedBy: string[] = [];
    await Promise.all(
      Array.from({ length: 4 }, () =>
        collect(routes.chat('model-a', HELLO, { onRouted: (peer) => servedBy.push(peer) })),
      ),
    );
    expect(new Set(servedBy)).toEqual(new Set([asiaA.peerId, asiaB.peerId]));
  });

  it('queues when every worker is busy, reports positions, and serves everyone', async () => {
    const routes = requesterFor(requester, directoryOf('asia', { 'model-a': [asiaA, asiaB] }), {
      queue: { retryMs: 50, timeoutMs: 30_000 },
    });
    const positions: number[][] = [];
    const long = { messages: HELLO.messages, max_tokens: 40 };
    const results = await Promise.all(
      Array.from({ length: 5 }, (_, index) => {
        positions[index] = [];
        return collect(
          routes.chat('model-a', long, { onQueuePosition: (position) => positions[index]?.push(position) }),
        );
      }),
    );
    expect(results.every((result) => result.chunks.at(-1)?.type === 'usage')).toBe(true);
    const queued = positions.filter((seen) => seen.some((position) => position >= 1));
    expect(queued.length).toBeGreaterThanOrEqual(1);
    // Whoever waited was told when its turn came.
    for (const seen of queued) expect(seen.at(-1)).toBe(0);
    expect(routes.waiting).toBe(0);
  });

  it('says which region and tier has no live member', async () => {
    const routes = requesterFor(requester, directoryOf('asia', { 'model-a': [] }), {
      tierLabel: () => 'Model C',
    });
    await expect(collect(routes.chat('model-c', HELLO))).rejects.toThrow(NoLiveMemberError);
    await expect(collect(routes.chat('model-c', HELLO))).rejects.toThrow(
      'no node in Asia serves Model C right now',
    );
  });

  it('retries another member transparently when one fails before the first token', async () => {
    const gone = await startNode();
    const goneId = gone.peerId;
    await stopNode(gone);
    const directory = directoryOf('asia', { 'model-a': [gone, asiaA] });
    const routes = requesterFor(requester, directory);
    for (let i = 0; i < 3; i += 1) {
      const servedBy: string[] = [];
      const { chunks } = await collect(
        routes.chat('model-a', HELLO, { onRouted: (peer) => servedBy.push(peer) }),
      );
      expect(chunks.at(-1)?.type).toBe('usage');
      expect(servedBy).toEqual([asiaA.peerId]);
    }
    expect(goneId).not.toBe(asiaA.peerId);
  });

  it('counts retries before the first token, completions, cuts and failures (GET /api/routing)', async () => {
    const gone = await startNode();
    await stopNode(gone);
    // A fresh requester per request forgets the refusal: sooner or later one picks the dead member first.
    let retried = 0;
    for (let i = 0; i < 20 && retried === 0; i += 1) {
      const routes = requesterFor(requester, directoryOf('asia', { 'model-a': [gone, asiaA] }));
      const { chunks } = await collect(routes.chat('model-a', HELLO));
      expect(chunks.at(-1)?.type).toBe('usage');
      const stats = routes.stats;
      expect(stats).toMatchObject({
        requests: 1,
        completed: 1,
        failedBeforeFirstToken: 0,
        cutAfterFirstToken: 0,
      });
      expect(stats.retriedBeforeFirstToken).toBe(stats.memberFailuresBeforeFirstToken);
      retried += stats.retriedBeforeFirstToken;
      routes.close();
    }
    expect(retried).toBe(1);
    const nobody = requesterFor(requester, directoryOf('asia', { 'model-a': [gone] }), { maxAttempts: 1 });
    await expect(collect(nobody.chat('model-a', HELLO))).rejects.toThrow(/failed|could take/);
    expect(nobody.stats).toMatchObject({ requests: 1, completed: 0, failedBeforeFirstToken: 1 });
    nobody.close();
  });

  it('cancellation reaches the worker and frees its slot', async () => {
    const slow = await startNode({ capacityPerTier: 1 });
    try {
      await addEngine(slow, 'model-a', { tokenRate: 20 });
      await connect(requester, slow);
      const routes = requesterFor(requester, directoryOf('asia', { 'model-a': [slow] }));
      const controller = new AbortController();
      let received = 0;
      await expect(
        (async () => {
          for await (const chunk of routes.chat(
            'model-a',
            { ...HELLO, max_tokens: 500 },
            { signal: controller.signal },
          )) {
            if (chunk.type === 'delta') received += 1;
            if (received === 2) controller.abort(new Error('user pressed stop'));
          }
        })(),
      ).rejects.toThrow('user pressed stop');
      expect(slow.worker.load('model-a')).toBeLessThanOrEqual(1);
      await waitUntil(() => slow.worker.load('model-a') === 0);
      // The slot is free: the next request is admitted at once.
      const { chunks } = await collect(routes.chat('model-a', HELLO));
      expect(chunks.at(-1)?.type).toBe('usage');
    } finally {
      await stopNode(slow);
    }
  });

  it('returns the partial reply with an error when the worker dies mid-stream', async () => {
    const crashy = await startNode();
    try {
      await addEngine(crashy, 'model-a', { tokenRate: 200, crashAfterTokens: 5, faultStarts: '1' });
      await connect(requester, crashy);
      const routes = requesterFor(requester, directoryOf('asia', { 'model-a': [crashy] }));
      const deltas: string[] = [];
      await expect(
        (async () => {
          for await (const chunk of routes.chat('model-a', { ...HELLO, max_tokens: 100 })) {
            if (chunk.type === 'delta') deltas.push(chunk.content ?? '');
          }
        })(),
      ).rejects.toThrow(PartialResponseError);
      expect(deltas.length).toBeGreaterThan(0);
      expect(routes.stats).toMatchObject({ requests: 1, cutAfterFirstToken: 1, completed: 0 });
    } finally {
      await stopNode(crashy);
    }
  });

  it('gives up on a reply whose member is declared down and silent (a frozen worker), not after the idle timeout', async () => {
    const frozen = await startNode();
    try {
      // One token every 3 s: after the first, the stream is silent like a SIGSTOPped worker's.
      await addEngine(frozen, 'model-a', { tokenRate: 0.33 });
      await connect(requester, frozen);
      const directory = directoryOf('asia', { 'model-a': [frozen] });
      const routes = requesterFor(requester, directory, {
        idleTimeoutMs: 120_000,
        memberLostGraceMs: 300,
        memberLostCheckMs: 100,
      });
      const deltas: string[] = [];
      const error = await (async () => {
        for await (const chunk of routes.chat('model-a', { ...HELLO, max_tokens: 50 })) {
          if (chunk.type === 'delta') {
            deltas.push(chunk.content ?? '');
            // Membership declares it down (missed heartbeats) while the reply is under way.
            directory.down.add(frozen.peerId);
          }
        }
      })().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(PartialResponseError);
      expect(String(error)).toMatch(/declared down and went silent/);
      expect(deltas.length).toBeGreaterThan(0);
      expect(routes.stats).toMatchObject({ cutAfterFirstToken: 1, completed: 0 });
      routes.close();
    } finally {
      await stopNode(frozen);
    }
  }, 20_000);

  it('falls back to a fresh stream when the worker already closed the spare one', async () => {
    const impatient = await startNode({ requestTimeoutMs: 100 });
    try {
      await addEngine(impatient, 'model-a', { tokenRate: 0 });
      await connect(requester, impatient);
      const routes = requesterFor(requester, directoryOf('asia', { 'model-a': [impatient] }), {
        spareStreamMs: 5_000,
      });
      expect((await collect(routes.chat('model-a', HELLO))).chunks.at(-1)?.type).toBe('usage');
      // The spare opened after that request is reset by the worker after 100 ms of silence.
      await new Promise((resolve) => setTimeout(resolve, 400));
      const servedBy: string[] = [];
      const { chunks } = await collect(
        routes.chat('model-a', HELLO, { onRouted: (peer) => servedBy.push(peer) }),
      );
      expect(chunks.at(-1)?.type).toBe('usage');
      expect(servedBy).toEqual([impatient.peerId]);
      routes.close();
    } finally {
      await stopNode(impatient);
    }
  });

  it('survives malformed frames from a requester and keeps serving', async () => {
    for (const garbage of [
      new Uint8Array([0xff, 0xff, 0xff]),
      new TextEncoder().encode('{"t":"request"}'),
      new Uint8Array(300_000),
    ]) {
      const stream = await requester.p2p.libp2p.dialProtocol(peerIdFromString(asiaA.peerId), INFER_PROTOCOL);
      const lp = lpStream(stream, { maxDataLength: 4 * 1024 * 1024 });
      await lp.write(garbage).catch(() => {});
      await expect(lp.read({ signal: AbortSignal.timeout(5_000) })).rejects.toThrow();
    }
    const routes = requesterFor(requester, directoryOf('asia', { 'model-a': [asiaA] }));
    const { chunks } = await collect(routes.chat('model-a', HELLO));
    expect(chunks.at(-1)?.type).toBe('usage');
  });

  it('survives a worker that answers with garbage, and says no worker could answer', async () => {
    const liar = await startNode();
    try {
      await liar.worker.stop();
      await liar.p2p.libp2p.handle(INFER_PROTOCOL, async (stream) => {
        const lp = lpStream(stream);
        await lp.read();
        await lp.write(new Uint8Array([0xa1, 0x61, 0x74, 0x63, 0x62, 0x61, 0x64]));
        await stream.close();
      });
      await connect(requester, liar);
      const routes = requesterFor(requester, directoryOf('asia', { 'model-a': [liar] }), { maxAttempts: 1 });
      await expect(collect(routes.chat('model-a', HELLO))).rejects.toThrow(/could take the request|failed/);
    } finally {
      await stopNode(liar);
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
