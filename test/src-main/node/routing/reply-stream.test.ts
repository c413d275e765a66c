import { afterEach, describe, expect, it } from 'vitest';
import type { RequesterFrame, WorkerFrame } from '../../../../src-shared/protocol/infer-frames.ts';
import type { FrameChannel } from '../../../../src-main/node/routing/frame-channel.ts';
import { streamReply } from '../../../../src-main/node/routing/reply-stream.ts';

const unhandled: unknown[] = [];
const onUnhandled = (reason: unknown) => unhandled.push(reason);
afterEach(() => {
  process.off('unhandledRejection', onUnhandled);
  unhandled.length = 0;
});

/** A channel whose stream the worker already closed: reads wait for the caller, writes fail. */
function closedChannel() {
  const aborted: string[] = [];
  const channel = {
    read: (_timeoutMs: number, signal?: AbortSignal) =>
      new Promise<WorkerFrame>((_resolve, reject) =>
        signal?.addEventListener('abort', () => reject(signal.reason as Error), { once: true }),
      ),
    write: () => Promise.reject(new Error('Cannot write to a stream that is closed')),
    abort: (reason: string) => void aborted.push(reason),
  };
  return { channel: channel as unknown as FrameChannel<WorkerFrame, RequesterFrame>, aborted };
}

/** A channel that answers with `frames` in turn and records what is done to it. */
function scriptedChannel(frames: WorkerFrame[]) {
  const calls: string[] = [];
  const channel = {
    read: () => {
      const frame = frames.shift();
      return frame ? Promise.resolve(frame) : new Promise<WorkerFrame>(() => {});
    },
    write: () => Promise.resolve(),
    close: () => {
      calls.push('close');
      return Promise.resolve();
    },
    abort: (reason: string) => void calls.push(`abort: ${reason}`),
  };
  return { channel: channel as unknown as FrameChannel<WorkerFrame, RequesterFrame>, calls };
}

describe('streamReply', () => {
  it('closes the stream when the caller stops at the usage chunk that ends the reply', async () => {
    const { channel, calls } = scriptedChannel([
      { t: 'deltas', deltas: [{ type: 'delta', text: 'hi' }] },
      { t: 'end', usage: { promptTokens: 3, completionTokens: 1 }, finishReason: 'stop' },
    ] as WorkerFrame[]);
    for await (const chunk of streamReply(channel, null, 60_000)) {
      if (chunk.type === 'usage') break; // as the non-streamed OpenAI route does
    }
    // Left open, it stays open on both sides: after enough of them the worker refuses new streams from us.
    expect(calls).toEqual(['close']);
  });

  it('a caller who gives up on a reply whose stream is gone leaves no unhandled failure behind', async () => {
    process.on('unhandledRejection', onUnhandled);
    const { channel, aborted } = closedChannel();
    const caller = new AbortController();
    const reply = streamReply(channel, null, 60_000, caller.signal);
    const next = reply.next();
    caller.abort(new Error('client went away'));
    await expect(next).rejects.toThrow('client went away');
    // The cancel frame could not be written; the stream is dropped anyway.
    await new Promise((done) => setTimeout(done, 50));
    expect(aborted).toEqual(['cancelled']);
    expect(unhandled).toEqual([]);
  });
});
