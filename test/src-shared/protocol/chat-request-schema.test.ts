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

  it('accepts images only as data: URLs, never a URL an engine would fetch (finding 22)', () => {
    const image = (url: string) => ({ messages: [user([{ type: 'image_url', image_url: { url } }])] });
    expect(parseChatRequest(image('data:image/png;base64,iVBORw0KGgo=')).ok).toBe(true);
    for (const url of [
      'http://169.254.169.254/latest/meta-data/',
      'https://example.invalid/cat.png',
      'file:///etc/passwd',
      'HTTP://192.168.1.1/',
      'data:text/html,<script>',
      ' data:image/png;base64,AAAA',
    ]) {
      const parsed = parseChatRequest(image(url));
      expect(parsed.ok, url).toBe(false);
      if (!parsed.ok) expect(parsed.error).toContain('must be a data: URL of an image');
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
