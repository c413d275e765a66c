import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EngineProtocolError } from '../../../../src-main/node/engine/errors.ts';
import { SseParser, type SseEvent } from '../../../../src-main/node/engine/sse-parser.ts';
import { SMALL_MODEL, startDouble, type RunningDouble } from './engine-test-kit.ts';

const encode = (text: string) => new TextEncoder().encode(text);

function parseAll(parts: readonly Uint8Array[], parser = new SseParser()): SseEvent[] {
  return parts.flatMap((part) => parser.push(part));
}

describe('SseParser', () => {
  it('yields data events in order, skipping comments and unused fields', () => {
    const comments: string[] = [];
    const parser = new SseParser({ onComment: (text) => comments.push(text) });
    const events = parseAll(
      [
        encode(
          ': keep-alive\n\ndata: {"a":1}\n\nevent: x\nid: 3\ndata: two\r\ndata: lines\r\n\r\n: generation_stats {"x":1}\n\ndata: [DONE]\n\n',
        ),
      ],
      parser,
    );
    expect(events.map((event) => event.data)).toEqual(['{"a":1}', 'two\nlines', '[DONE]']);
    expect(comments).toEqual(['keep-alive', 'generation_stats {"x":1}']);
  });

  it('gives the same events however the bytes are split, multi-byte characters included', () => {
    const stream = encode('data: héllo 世界 🙂\n\n: c\n\ndata: {"k":"ß"}\n\ndata:no-space\n\n');
    const whole = parseAll([stream]).map((event) => event.data);
    expect(whole).toEqual(['héllo 世界 🙂', '{"k":"ß"}', 'no-space']);
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: stream.length - 1 }), { maxLength: 12 }),
        (cuts) => {
          const points = [0, ...cuts.sort((a, b) => a - b), stream.length];
          const parts = points.slice(1).map((end, i) => stream.subarray(points[i], end));
          expect(parseAll(parts).map((event) => event.data)).toEqual(whole);
        },
      ),
    );
  });

  it('refuses a line that never ends instead of buffering it', () => {
    const parser = new SseParser({ maxEventChars: 1000 });
    parser.push(encode(`data: ${'x'.repeat(900)}`));
    expect(() => parser.push(encode('x'.repeat(200)))).toThrow(EngineProtocolError);
  });

  it('refuses an event made of many data lines beyond the limit', () => {
    const parser = new SseParser({ maxEventChars: 100 });
    expect(() => parser.push(encode(`${'data: 0123456789\n'.repeat(20)}\n`))).toThrow(/larger than 100/);
  });

  it('refuses bytes that are not UTF-8', () => {
    expect(() => new SseParser().push(Uint8Array.of(0x64, 0x61, 0xff, 0xfe, 0x0a))).toThrow(
      /not valid UTF-8/,
    );
  });
});

describe('SseParser on a 10,000-token stream from the EXO double', () => {
  let double: RunningDouble;
  beforeAll(async () => {
    double = await startDouble([
      '--double-token-rate',
      '0',
      '--double-load-step-ms',
      '5',
      '--double-preplace',
      SMALL_MODEL,
    ]);
    for (let i = 0; i < 200; i += 1) {
      const response = await fetch(`${double.url}/state`);
      const state = (await response.json()) as { runners: Record<string, Record<string, unknown>> };
      if (Object.values(state.runners).some((runner) => 'RunnerReady' in runner)) break;
      await new Promise((done) => setTimeout(done, 25));
    }
  });
  afterAll(() => double.stop());

  it('holds about one event at a time, however long the stream', async () => {
    const response = await fetch(`${double.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: SMALL_MODEL,
        messages: [{ role: 'user', content: 'go' }],
        stream: true,
        max_tokens: 10_000,
      }),
    });
    const parser = new SseParser();
    let bytes = 0;
    let events = 0;
    let largestEvent = 0;
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      for (const event of parser.push(value)) {
        events += 1;
        largestEvent = Math.max(largestEvent, event.data.length);
      }
    }
    expect(events).toBe(10_001); // 10,000 chunks and [DONE]
    expect(bytes).toBeGreaterThan(1_500_000);
    // The buffer never held more than the largest single event plus its "data: " prefix.
    expect(parser.highWaterMark).toBeLessThanOrEqual(largestEvent + 8);
    expect(parser.highWaterMark).toBeLessThan(1_000);
    expect(parser.bufferedChars).toBe(0);
  });
});
