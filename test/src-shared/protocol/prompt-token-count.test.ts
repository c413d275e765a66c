// The network's count of a prompt (security finding 16): the properties both sides rely on, and how close it
// stays to a real tokenizer.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChatRequest } from '../../../src-shared/protocol/chat.ts';
import { decodeRequesterFrame, encodeRequesterFrame } from '../../../src-shared/protocol/infer-frames.ts';
import {
  IMAGE_PROMPT_TOKENS,
  MESSAGE_OVERHEAD_TOKENS,
  promptTokenCount,
  REQUEST_OVERHEAD_TOKENS,
  textTokenCount,
} from '../../../src-shared/protocol/prompt-token-count.ts';
import { utf8Length } from '../../../src-shared/protocol/utf8.ts';

/**
 * Texts and the tokens Llama 3's own tokenizer gave for them (measured offline with the npm package
 * llama3-tokenizer-js 1.2.0, no BOS/EOS, 2026-12-03; the package is not a dependency). English and code must
 * be counted at or a little above it.
 */
const LLAMA3_MEASURED: readonly (readonly [string, string, number])[] = [
  [
    'english',
    'A payment system that people trust with their earnings cannot lose or invent tokens. Every node keeps its own chain of blocks, and a worker is paid only for what the requester received, counted the same way on both sides.',
    44,
  ],
  [
    'question',
    'Can you explain, in two or three short paragraphs, why the sky looks blue during the day but red at sunset?',
    24,
  ],
  [
    'typescript',
    'export function clamp(value: number, low: number, high: number): number {\n  if (value < low) return low;\n  return value > high ? high : value;\n}\n',
    38,
  ],
  [
    'python',
    'def fibonacci(n):\n    """Return the first n Fibonacci numbers."""\n    a, b = 0, 1\n    out = []\n    for _ in range(n):\n        out.append(a)\n        a, b = b, a + b\n    return out\n',
    55,
  ],
  [
    'json',
    '{"name": "opengateway", "version": "0.5.0", "scripts": {"test": "vitest run", "lint": "eslint . --max-warnings 0"}}',
    42,
  ],
  [
    'markdown',
    '## Install\n\n1. Download the latest release for your platform.\n2. Run `opengateway node start --region europe`.\n3. Open the dashboard at http://127.0.0.1:4173 and paste the key.\n',
    49,
  ],
];

const ascii = fc.string({ unit: fc.constantFrom(...' \n\tabcdefgHIJKL0123456789.,;:(){}"\'_-') });
const anyText = fc.string({ unit: 'grapheme', maxLength: 200 });
const message: fc.Arbitrary<ChatMessage> = fc.record({
  role: fc.constantFrom('system', 'user', 'assistant'),
  content: anyText,
});
const request: fc.Arbitrary<ChatRequest> = fc.record({
  messages: fc.array(message, { minLength: 1, maxLength: 5 }),
});

describe('the network’s prompt count', () => {
  it('counts English and code at or up to 15% above what Llama 3’s tokenizer gives', () => {
    for (const [name, text, llama3] of LLAMA3_MEASURED) {
      const count = textTokenCount(text);
      expect(count, name).toBeGreaterThanOrEqual(llama3);
      expect(count, name).toBeLessThanOrEqual(Math.ceil(llama3 * 1.15));
    }
  });

  it('is never negative, never more than the text’s UTF-8 bytes, never less than a sixteenth of them', () => {
    fc.assert(
      fc.property(fc.oneof(ascii, anyText, fc.string({ unit: 'binary' })), (text) => {
        const count = textTokenCount(text);
        const bytes = utf8Length(text);
        expect(Number.isInteger(count)).toBe(true);
        expect(count).toBeGreaterThanOrEqual(Math.ceil(bytes / 16));
        expect(count).toBeLessThanOrEqual(bytes);
      }),
      { numRuns: 2_000 },
    );
  });

  it('stays within a factor of 4 of bytes/4 for ASCII text', () => {
    fc.assert(
      fc.property(ascii, (text) => {
        const quarter = text.length / 4;
        const count = textTokenCount(text);
        expect(count).toBeGreaterThanOrEqual(Math.floor(quarter / 4));
        expect(count).toBeLessThanOrEqual(Math.ceil(quarter * 4));
      }),
      { numRuns: 2_000 },
    );
  });

  it('never falls when text is appended', () => {
    fc.assert(
      fc.property(fc.oneof(ascii, anyText), fc.oneof(ascii, anyText), (head, tail) => {
        expect(textTokenCount(head + tail)).toBeGreaterThanOrEqual(textTokenCount(head));
      }),
      { numRuns: 5_000 },
    );
    fc.assert(
      fc.property(request, message, (asked, more) => {
        const longer = { ...asked, messages: [...asked.messages, more] };
        expect(promptTokenCount(longer)).toBeGreaterThanOrEqual(
          promptTokenCount(asked) + MESSAGE_OVERHEAD_TOKENS,
        );
      }),
    );
  });

  it('is the same on the worker as on the requester: a request counts the same after the wire', () => {
    fc.assert(
      fc.property(request, (asked) => {
        const decoded = decodeRequesterFrame(
          encodeRequesterFrame({ t: 'request', v: 1, id: 'r', tier: 'model-a', request: asked }),
        );
        if (!decoded.ok || decoded.frame.t !== 'request') throw new Error('the frame did not decode');
        expect(promptTokenCount(decoded.frame.request)).toBe(promptTokenCount(asked));
        expect(promptTokenCount(asked)).toBe(promptTokenCount(structuredClone(asked)));
      }),
    );
  });

  it('charges a fixed amount per image, not the bytes of its data URL', () => {
    const image = (bytes: number): ChatRequest => ({
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'What is this?' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(bytes)}` } },
          ],
        },
      ],
    });
    const small = promptTokenCount(image(100));
    expect(promptTokenCount(image(500_000))).toBe(small);
    expect(small).toBe(
      REQUEST_OVERHEAD_TOKENS +
        MESSAGE_OVERHEAD_TOKENS +
        textTokenCount('What is this?') +
        IMAGE_PROMPT_TOKENS,
    );
  });

  it('counts the tools and tool calls a request carries', () => {
    const plain: ChatRequest = { messages: [{ role: 'user', content: 'What is the weather in Paris?' }] };
    const withTools: ChatRequest = {
      ...plain,
      tools: [
        {
          type: 'function',
          function: {
            name: 'get_weather',
            description: 'The weather in a city',
            parameters: { type: 'object', properties: { city: { type: 'string' } } },
          },
        },
      ],
    };
    expect(promptTokenCount(withTools)).toBeGreaterThan(promptTokenCount(plain) + 20);
    const called: ChatRequest = {
      messages: [
        ...plain.messages,
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', content: '{"celsius": 14}', tool_call_id: 'c1' },
      ],
    };
    expect(promptTokenCount(called)).toBeGreaterThan(promptTokenCount(plain) + 2 * MESSAGE_OVERHEAD_TOKENS);
  });
});
