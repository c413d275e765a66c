// Fuzzing the OpenAI request schema (issue 15 item 3): a body from any local client, edited anywhere in its
// tree, is either a clean request or refused with a reason; nothing else may come out (parseChatRequest
// rethrows anything but its own refusal, so a forgotten type check would surface here as a throw).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CHAT_LIMITS, parseChatRequest } from '../../../src-shared/protocol/chat-request-schema.ts';
import { editedJson } from '../json-mutations.ts';

const RUNS = Number(process.env.OG_FUZZ_RUNS ?? 1_000);
const API_FIELDS = ['model', 'stream', 'stream_options', 'n', 'user', 'store', 'metadata'];

const BODY = {
  model: 'model-a',
  stream: true,
  messages: [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
    {
      role: 'assistant',
      content: null,
      tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
    },
    { role: 'tool', tool_call_id: 'c1', content: '42' },
  ],
  max_completion_tokens: 64,
  temperature: 0.2,
  stop: ['\n\n'],
  tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object' } } }],
};

describe('the OpenAI request schema under fuzzing', () => {
  it('returns a request within the limits or a reason, for any edit of a valid body', () => {
    expect(parseChatRequest(BODY, API_FIELDS).ok).toBe(true);
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(
        fc.oneof({ weight: 4, arbitrary: editedJson(BODY) }, fc.jsonValue({ maxDepth: 4 })),
        (body) => {
          const parsed = parseChatRequest(body, API_FIELDS);
          if (!parsed.ok) {
            refused += 1;
            expect(parsed.error.length).toBeGreaterThan(0);
            return;
          }
          accepted += 1;
          const { request } = parsed;
          expect(request.messages.length).toBeGreaterThan(0);
          expect(request.messages.length).toBeLessThanOrEqual(CHAT_LIMITS.maxMessages);
          // Only the engine's fields go on (the API's own were stripped), and the request survives the wire.
          for (const field of API_FIELDS) expect(Object.hasOwn(request, field)).toBe(false);
          expect(parseChatRequest(JSON.parse(JSON.stringify(request))).ok).toBe(true);
        },
      ),
      { numRuns: RUNS },
    );
    console.log(`chat request fuzz: ${RUNS} bodies, ${accepted} accepted, ${refused} refused`);
    expect(accepted + refused).toBe(RUNS);
    expect(refused).toBeGreaterThan(0);
  });
});
