import { describe, expect, it } from 'vitest';
import { QueueFullError, QueueTimeoutError } from '../../../../src-main/node/routing/errors.ts';
import { WaitingLine } from '../../../../src-main/node/routing/waiting-line.ts';

describe('WaitingLine', () => {
  it('reports positions and moves everyone up when the head leaves', async () => {
    const line = new WaitingLine({ maxWaiting: 10, timeoutMs: 5_000, retryMs: 10_000 });
    const seen: number[][] = [[], [], []];
    const places = seen.map((positions) => line.join((position) => positions.push(position), 'Asia Model A'));
    expect(seen).toEqual([[1], [2], [3]]);
    const headTurn = places[0]?.turn();
    line.notify();
    await headTurn;
    places[0]?.leave();
    expect(seen.map((positions) => positions.at(-1))).toEqual([1, 1, 2]);
    // The second in line is the head now and may try at once.
    const secondTurn = places[1]?.turn();
    line.notify();
    await secondTurn;
    places[1]?.leave();
    places[2]?.leave();
    expect(line.length).toBe(0);
  });

  it('is bounded', () => {
    const line = new WaitingLine({ maxWaiting: 1, timeoutMs: 1_000, retryMs: 100 });
    line.join(() => {}, 'Asia Model A');
    expect(() => line.join(() => {}, 'Asia Model A')).toThrow(QueueFullError);
  });

  it('gives up after the timeout with a clear message', async () => {
    const line = new WaitingLine({ maxWaiting: 5, timeoutMs: 50, retryMs: 10_000 });
    line.join(() => {}, 'Asia Model C');
    const second = line.join(() => {}, 'Asia Model C');
    await expect(second.turn()).rejects.toThrow(QueueTimeoutError);
    await expect(second.turn()).rejects.toThrow('for a free Asia Model C node');
  });

  it('lets a waiting request be cancelled', async () => {
    const line = new WaitingLine({ maxWaiting: 5, timeoutMs: 5_000, retryMs: 10_000 });
    line.join(() => {}, 'x');
    const place = line.join(() => {}, 'x');
    const controller = new AbortController();
    const turn = place.turn(controller.signal);
    controller.abort(new Error('user left'));
    await expect(turn).rejects.toThrow('user left');
  });
});
