import { describe, expect, it } from 'vitest';
import { decodeChatChunk } from '../../../../src-main/node/engine/chat-chunk-decoder.ts';
import { EngineProtocolError, EngineRequestError } from '../../../../src-main/node/engine/errors.ts';

describe('decodeChatChunk', () => {
  it('reads EXO’s last chunk: content, finish reason and snake_case usage', () => {
    const chunk = decodeChatChunk(
      JSON.stringify({
        id: '7f0c',
        object: 'chat.completion',
        created: 1,
        model: 'm',
        choices: [{ index: 0, delta: { role: 'assistant', content: '.' }, finish_reason: 'stop' }],
        usage: {
          prompt_tokens: 12,
          completion_tokens: 9,
          total_tokens: 21,
          prompt_tokens_details: { cached_tokens: 4, audio_tokens: 0 },
        },
      }),
    );
    expect(chunk).toEqual({
      id: '7f0c',
      content: '.',
      reasoningContent: null,
      toolCalls: null,
      finishReason: 'stop',
      usage: { promptTokens: 12, completionTokens: 9, totalTokens: 21, cachedPromptTokens: 4 },
    });
  });

  it('reads reasoning and tool-call fragments', () => {
    const chunk = decodeChatChunk(
      JSON.stringify({
        id: 'x',
        choices: [
          {
            index: 0,
            delta: {
              reasoning_content: 'hmm',
              tool_calls: [
                { id: 'c1', index: 0, type: 'function', function: { id: 'c1', name: 'f', arguments: '{}' } },
              ],
            },
            finish_reason: 'tool_calls',
          },
        ],
      }),
    );
    expect(chunk.reasoningContent).toBe('hmm');
    expect(chunk.toolCalls).toEqual([{ index: 0, id: 'c1', name: 'f', arguments: '{}' }]);
    expect(chunk.finishReason).toBe('tool_calls');
  });

  it('accepts an OpenAI usage-only chunk with no choices', () => {
    const chunk = decodeChatChunk(
      '{"id":"a","choices":[],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3}}',
    );
    expect(chunk.content).toBeNull();
    expect(chunk.usage?.totalTokens).toBe(3);
  });

  it('turns EXO’s in-stream error event into a request error with its message', () => {
    const error = captured(() =>
      decodeChatChunk('{"error":{"message":"Runner died","type":"InternalServerError","code":500}}'),
    );
    expect(error).toBeInstanceOf(EngineRequestError);
    expect(error).toMatchObject({
      message: 'the engine failed while answering: Runner died',
      httpStatus: 500,
    });
  });

  it.each([
    ['{"id":"a","choices":[{"delta":{"content":', /malformed stream event/],
    ['[1,2]', /not a JSON object/],
    ['{"choices":{}}', /"choices" that is not a list/],
    ['{"choices":[{"delta":{"content":5}}]}', /"content" that is not a string/],
    ['{"choices":[{"delta":{},"finish_reason":"exploded"}]}', /unknown finish_reason/],
    [
      '{"choices":[],"usage":{"prompt_tokens":-1,"completion_tokens":2}}',
      /"prompt_tokens" that is not a token count/,
    ],
  ])('refuses %s', (data, message) => {
    expect(() => decodeChatChunk(data)).toThrow(EngineProtocolError);
    expect(() => decodeChatChunk(data)).toThrow(message);
  });
});

function captured(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}
