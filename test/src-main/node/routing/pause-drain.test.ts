// Pause drains (issue 13 item 5) between real libp2p nodes with the EXO double as a real process: a pause
// refuses new requests at once, lets the ones in flight finish, and cancels what outlives the grace period
// (the requester keeps what arrived).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatChunk } from '../../../../src-shared/protocol/chat.ts';
import { NoWorkerAnsweredError, PartialResponseError } from '../../../../src-main/node/routing/errors.ts';
import type { WorkerRequestEvent } from '../../../../src-main/node/routing/infer-worker.ts';
import { removeTemporaryDirs } from '../engine/engine-test-kit.ts';
import { waitFor } from '../p2p/loopback-network.ts';
import {
  addEngine,
  connect,
  directoryOf,
  requesterFor,
  startNode,
  stopNode,
  type TestNode,
} from './routing-kit.ts';

let requester: TestNode;
let worker: TestNode;

beforeAll(async () => {
  [requester, worker] = await Promise.all([startNode(), startNode({ capacityPerTier: 2 })]);
  await addEngine(worker, 'model-a', { tokenRate: 40 });
  await connect(requester, worker);
}, 60_000);

afterAll(async () => {
  await Promise.all([requester, worker].filter(Boolean).map(stopNode));
  removeTemporaryDirs();
});

function ask(maxTokens: number) {
  return { messages: [{ role: 'user' as const, content: 'Tell me a long story' }], max_tokens: maxTokens };
}

/** Runs a request in the background, recording what arrived. */
function start(routes: ReturnType<typeof requesterFor>, maxTokens: number) {
  const got = { deltas: 0, usage: null as ChatChunk | null, error: null as unknown };
  const done = (async () => {
    try {
      for await (const chunk of routes.chat('model-a', ask(maxTokens))) {
        if (chunk.type === 'delta') got.deltas += 1;
        else got.usage = chunk;
      }
    } catch (error) {
      got.error = error;
    }
  })();
  return { got, done };
}

describe('pausing a worker with requests in flight', () => {
  it('refuses new requests at once and lets the running one finish', async () => {
    const routes = requesterFor(requester, directoryOf('asia', { 'model-a': [worker] }), {
      spareStreamMs: 0,
    });
    const running = start(routes, 40);
    await waitFor('the request is streaming', () => running.got.deltas > 0, 10_000);

    worker.worker.setPaused(true);
    const drained = worker.worker.drain(30_000);
    expect(worker.worker.inFlight).toBe(1); // "finishing 1 request…"
    const refused = await (async () => {
      for await (const chunk of routes.chat('model-a', ask(5))) void chunk;
    })().catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(NoWorkerAnsweredError);
    expect((refused as Error).message).toMatch(/paused contributing/);

    await running.done;
    expect(running.got.error).toBeNull();
    expect(running.got.usage?.type === 'usage' && running.got.usage.usage.completionTokens).toBe(40);
    expect(await drained).toBe(0);
    expect(worker.worker.inFlight).toBe(0);
    worker.worker.setPaused(false);
  }, 60_000);

  it('cancels what outlives the grace period; the requester keeps what arrived', async () => {
    const outcomes: WorkerRequestEvent['outcome'][] = [];
    worker.worker.addEventListener('request', (event) => outcomes.push(event.detail.outcome));
    const routes = requesterFor(requester, directoryOf('asia', { 'model-a': [worker] }), {
      spareStreamMs: 0,
    });
    const running = start(routes, 2_000);
    await waitFor('the request is streaming', () => running.got.deltas > 0, 10_000);

    worker.worker.setPaused(true);
    expect(await worker.worker.drain(300)).toBe(1);
    await running.done;
    expect(running.got.error).toBeInstanceOf(PartialResponseError);
    expect(running.got.deltas).toBeGreaterThan(0);
    expect(running.got.deltas).toBeLessThan(2_000);
    await waitFor('the worker reports the cancellation', () => outcomes.includes('cancelled'), 5_000);
    expect(worker.worker.inFlight).toBe(0);
    worker.worker.setPaused(false);
  }, 60_000);
});
