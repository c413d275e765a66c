// The shared HTTP chat stream with a scripted response body: idle timeout, a slow consumer, cancel order.
import { describe, expect, it } from 'vitest';
import { EngineTimeoutError } from '../../../../src-main/node/engine/errors.ts';
import { openHttpChatStream } from '../../../../src-main/node/engine/http-chat-stream.ts';
import { collect } from './engine-test-kit.ts';

const chunk = (content: string, last = false) =>
  `data: ${JSON.stringify({
    id: 'cmd-1',
    choices: [{ index: 0, delta: { content }, ...(last ? { finish_reason: 'stop' } : {}) }],
    ...(last ? { usage: { prompt_tokens: 1, completion_tokens: 3, total_tokens: 4 } } : {}),
  })}\n\n`;

/** A fetch whose response body sends `parts` (strings, or pauses in ms) and then, if `end`, closes. */
function scriptedFetch(parts: readonly (string | number)[], end = true, calls: string[] = []): typeof fetch {
  return (input, init) => {
    const url = input instanceof Request ? input.url : input.toString();
    calls.push(`${init?.method ?? 'GET'} ${url}`);
    if (url.includes('/cancel/')) return Promise.resolve(Response.json({ message: 'Command received.' }));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        // As fetch does: aborting the request errors the body being read.
        init?.signal?.addEventListener('abort', () => controller.error(init.signal?.reason));
        void (async () => {
          for (const part of parts) {
            if (typeof part === 'number') await new Promise((done) => setTimeout(done, part));
            else if (!init?.signal?.aborted) controller.enqueue(new TextEncoder().encode(part));
          }
          if (end && !init?.signal?.aborted) controller.close();
        })();
      },
    });
    return Promise.resolve(new Response(body, { headers: { 'content-type': 'text/event-stream' } }));
  };
}

const base = { engineName: 'EXO', url: 'http://exo/v1/chat/completions', body: {} };

describe('openHttpChatStream', () => {
  it('fails a stream the engine goes silent on, and cancels the generation', async () => {
    const calls: string[] = [];
    const stream = openHttpChatStream({
      ...base,
      fetch: scriptedFetch([chunk('Hel')], false, calls),
      idleTimeoutMs: 200,
      cancelRemote: async (id) => {
        calls.push(`cancel ${id}`);
        return Promise.resolve();
      },
    });
    await expect(collect(stream)).rejects.toThrow(EngineTimeoutError);
    expect(calls).toContain('cancel cmd-1');
  });

  it('does not count a slow consumer as engine silence', async () => {
    const stream = openHttpChatStream({
      ...base,
      fetch: scriptedFetch([chunk('a'), chunk('b'), chunk('c', true), 'data: [DONE]\n\n']),
      idleTimeoutMs: 150,
    });
    const texts: string[] = [];
    for await (const item of stream) {
      if (item.type === 'delta') texts.push(item.content ?? '');
      await new Promise((done) => setTimeout(done, 250));
    }
    expect(texts).toEqual(['a', 'b', 'c']);
  });

  it('asks the engine to stop before hanging up', async () => {
    const calls: string[] = [];
    const stream = openHttpChatStream({
      ...base,
      fetch: scriptedFetch([chunk('a'), 5_000], false, calls),
      cancelRemote: (id) => {
        calls.push(`cancel ${id}`);
        return Promise.resolve();
      },
    });
    for await (const item of stream) {
      if (item.type === 'delta') break;
    }
    expect(calls).toEqual(['POST http://exo/v1/chat/completions', 'cancel cmd-1']);
  });
});
