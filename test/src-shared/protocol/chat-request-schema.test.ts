import { describe, expect, it } from 'vitest';
import { CHAT_LIMITS, parseChatRequest } from '../../../src-shared/protocol/chat-request-schema.ts';

const user = (content: unknown) => ({ role: 'user', content });

describe('parseChatRequest', () => {
  it('accepts what OpenAI clients send', () => {
    const parsed = parseChatRequest(
      {
        model: 'model-a',
        stream: true,
        messages: [
          { role: 'system', content: 'Be brief.' },
          user([{ type: 'text', text: 'Hi' }]),
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
      },
      ['model', 'stream'],
    );
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(parsed.request.max_tokens).toBe(64);
  });

  it('explains what is wrong', () => {
    const cases: Array<[unknown, string]> = [
      [null, 'the request must be an object'],
      [{ messages: [] }, '"messages" must be a non-empty array'],
      [{ messages: [user('x')], model: 'm' }, 'unsupported field "model"'],
      [{ messages: [{ role: 'robot', content: 'x' }] }, 'messages[0].role must be one of'],
      [{ messages: [user(null)] }, 'messages[0].content is required'],
      [{ messages: [user('x')], temperature: 3 }, '"temperature" must be a number from 0 to 2'],
      [{ messages: [user('x')], max_tokens: 1.5 }, '"max_tokens" must be a whole number'],
      [
        { messages: [user('x')], stop: ['a', 'b', 'c', 'd', 'e'] },
        '"stop" must be a string or at most 4 strings',
      ],
      [{ messages: [user([{ type: 'audio' }])] }, 'must be "text" or "image_url"'],
    ];
    for (const [value, message] of cases) {
      const parsed = parseChatRequest(value);
      expect(parsed.ok, JSON.stringify(value)).toBe(false);
      if (!parsed.ok) expect(parsed.error).toContain(message);
    }
  });

  it('bounds the text a request may carry', () => {
    const huge = 'x'.repeat(CHAT_LIMITS.maxTextChars / 2 + 1);
    const parsed = parseChatRequest({ messages: [user(huge), user(huge)] });
    expect(parsed.ok).toBe(false);
    const many = parseChatRequest({
      messages: Array.from({ length: CHAT_LIMITS.maxMessages + 1 }, () => user('x')),
    });
    expect(many.ok).toBe(false);
  });
});
