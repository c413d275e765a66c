import { encode } from 'cborg';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  MAX_RESPONSE_FRAME_BYTES,
  decodeRequesterFrame,
  decodeWorkerFrame,
  encodeRequesterFrame,
  encodeWorkerFrame,
  type RequesterFrame,
  type WorkerFrame,
} from '../../../src-shared/protocol/infer-frames.ts';

const REQUEST: RequesterFrame = {
  t: 'request',
  v: 1,
  id: 'req-1',
  tier: 'model-a',
  request: { messages: [{ role: 'user', content: 'hi' }], max_tokens: 10, temperature: 0.7 },
};

describe('infer frames', () => {
  it('round-trip every frame type', () => {
    const frames: WorkerFrame[] = [
      { t: 'admitted', model: 'mlx-community/Meta-Llama-3.1-8B-Instruct-4bit' },
      { t: 'refused', reason: 'busy', message: 'all 2 slots are busy' },
      {
        t: 'deltas',
        deltas: [
          { type: 'delta', content: 'Hel' },
          { type: 'delta', content: 'lo' },
        ],
      },
      {
        t: 'end',
        usage: { promptTokens: 5, completionTokens: 2, totalTokens: 7 },
        finishReason: 'stop',
        servedBy: [{ engineNodeId: 'n1', share: 0.5 }],
      },
      { t: 'error', code: 'engine-failed', message: 'runner crashed' },
    ];
    for (const frame of frames)
      expect(decodeWorkerFrame(encodeWorkerFrame(frame))).toEqual({ ok: true, frame });
    expect(decodeRequesterFrame(encodeRequesterFrame(REQUEST))).toEqual({ ok: true, frame: REQUEST });
    expect(decodeRequesterFrame(encodeRequesterFrame({ t: 'cancel' }))).toEqual({
      ok: true,
      frame: { t: 'cancel' },
    });
  });

  it('refuses unknown types, unknown fields, missing fields and wrong versions', () => {
    const bad = [
      { t: 'launch' },
      { ...REQUEST, extra: 1 },
      { t: 'request', v: 1, id: 'x', tier: 'model-a' },
      { ...REQUEST, v: 2 },
      { ...REQUEST, tier: '../etc' },
      { ...REQUEST, request: { messages: [{ role: 'wizard', content: 'x' }] } },
      { ...REQUEST, request: { messages: [] } },
      { ...REQUEST, request: { messages: [{ role: 'user', content: 'x' }], max_tokens: -1 } },
    ];
    for (const value of bad)
      expect(decodeRequesterFrame(encode(value)).ok, JSON.stringify(value)).toBe(false);
    const badWorker = [
      { t: 'refused', reason: 'tired', message: 'x' },
      { t: 'deltas', deltas: [] },
      { t: 'deltas', deltas: [{ type: 'delta', content: 5 }] },
      { t: 'end', usage: { promptTokens: -1, completionTokens: 0, totalTokens: 0 }, finishReason: 'stop' },
      { t: 'end', usage: { promptTokens: 1, completionTokens: 0, totalTokens: 1 }, finishReason: 'bored' },
      { t: 'error', code: 'engine-failed', message: 'x'.repeat(10_000) },
    ];
    for (const value of badWorker)
      expect(decodeWorkerFrame(encode(value)).ok, JSON.stringify(value)).toBe(false);
  });

  it('carry a first-frame RESERVE and an offered next quote, bounded like the frames that carry them today', () => {
    const withReserve: RequesterFrame = { ...REQUEST, reserve: new Uint8Array(300).fill(7) };
    expect(decodeRequesterFrame(encodeRequesterFrame(withReserve))).toEqual({ ok: true, frame: withReserve });
    const end: WorkerFrame = {
      t: 'end',
      usage: { promptTokens: 5, completionTokens: 2, totalTokens: 7 },
      finishReason: 'stop',
      receipt: new Uint8Array(100).fill(1),
      nextQuote: new Uint8Array(400).fill(2),
    };
    expect(decodeWorkerFrame(encodeWorkerFrame(end))).toEqual({ ok: true, frame: end });
    // A RESERVE larger than any block, an empty one, a quote larger than any quote: refused.
    for (const reserve of [new Uint8Array(8 * 1024 + 1), new Uint8Array(0), 'block'])
      expect(decodeRequesterFrame(encode({ ...REQUEST, reserve })).ok).toBe(false);
    expect(decodeWorkerFrame(encode({ ...end, nextQuote: new Uint8Array(4 * 1024 + 1) })).ok).toBe(false);
  });

  it('refuses oversized frames before decoding them', () => {
    const result = decodeWorkerFrame(new Uint8Array(MAX_RESPONSE_FRAME_BYTES + 1));
    expect(result).toEqual({ ok: false, error: expect.stringContaining('too large') as string });
  });

  it('never throws on arbitrary bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (bytes) => {
        expect(typeof decodeRequesterFrame(bytes).ok).toBe('boolean');
        expect(typeof decodeWorkerFrame(bytes).ok).toBe('boolean');
      }),
      { numRuns: 2_000 },
    );
  });

  it('never throws on arbitrary CBOR values (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (value) => {
        let bytes: Uint8Array;
        try {
          bytes = encode(value);
        } catch {
          return;
        }
        decodeRequesterFrame(bytes);
        decodeWorkerFrame(bytes);
      }),
      { numRuns: 1_000 },
    );
  });
});
