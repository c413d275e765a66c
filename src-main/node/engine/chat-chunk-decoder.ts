// Strict decoding of one Chat Completions stream chunk (OpenAI's shape, which EXO and the OpenAI-compatible
// servers share) into what the stream needs. Anything malformed is a protocol error, never a crash.
import type { ChatFinishReason, ChatToolCallDelta, ChatUsage } from '../../../src-shared/protocol/chat.ts';
import { EngineProtocolError, EngineRequestError } from './errors.ts';

/** The parts of one chunk a stream uses. */
export interface DecodedChatChunk {
  readonly id: string | null;
  readonly content: string | null;
  readonly reasoningContent: string | null;
  readonly toolCalls: readonly ChatToolCallDelta[] | null;
  readonly finishReason: ChatFinishReason | null;
  readonly usage: ChatUsage | null;
}

const FINISH_REASONS: ReadonlySet<string> = new Set([
  'stop',
  'length',
  'tool_calls',
  'content_filter',
  'function_call',
  'error',
]);

/** Parse and validate the `data:` payload of one event. Throws EngineRequestError for an error event. */
export function decodeChatChunk(data: string): DecodedChatChunk {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    throw new EngineProtocolError(`the engine sent a malformed stream event: ${preview(data)}`);
  }
  if (!isRecord(value)) throw malformed('an event that is not a JSON object', data);
  if ('error' in value && value.error !== null && value.error !== undefined) {
    const error = value.error;
    const message = isRecord(error) && typeof error.message === 'string' ? error.message : preview(data);
    const code = isRecord(error) && typeof error.code === 'number' ? error.code : null;
    throw new EngineRequestError(`the engine failed while answering: ${message}`, code);
  }
  const id = optionalString(value.id, 'id', data);
  const choices = value.choices ?? [];
  if (!Array.isArray(choices)) throw malformed('"choices" that is not a list', data);
  let content: string | null = null;
  let reasoningContent: string | null = null;
  let toolCalls: ChatToolCallDelta[] | null = null;
  let finishReason: ChatFinishReason | null = null;
  // One completion per request (n = 1): choice 0 carries everything.
  const choice: unknown = choices[0];
  if (choice !== undefined) {
    if (!isRecord(choice)) throw malformed('a choice that is not an object', data);
    const delta = choice.delta ?? {};
    if (!isRecord(delta)) throw malformed('a delta that is not an object', data);
    content = optionalString(delta.content, 'content', data);
    reasoningContent = optionalString(delta.reasoning_content ?? delta.reasoning, 'reasoning_content', data);
    toolCalls = decodeToolCalls(delta.tool_calls, data);
    const reason = choice.finish_reason;
    if (reason !== undefined && reason !== null) {
      if (typeof reason !== 'string' || !FINISH_REASONS.has(reason)) {
        throw malformed('an unknown finish_reason', data);
      }
      finishReason = reason as ChatFinishReason;
    }
  }
  const usage = value.usage === undefined || value.usage === null ? null : decodeUsage(value.usage, data);
  return { id, content, reasoningContent, toolCalls, finishReason, usage };
}

function decodeUsage(value: unknown, data: string): ChatUsage {
  if (!isRecord(value)) throw malformed('"usage" that is not an object', data);
  const promptTokens = count(value.prompt_tokens, 'prompt_tokens', data);
  const completionTokens = count(value.completion_tokens, 'completion_tokens', data);
  const total = value.total_tokens === undefined ? promptTokens + completionTokens : value.total_tokens;
  const details = value.prompt_tokens_details;
  const cached = isRecord(details) && details.cached_tokens !== undefined ? details.cached_tokens : undefined;
  return {
    promptTokens,
    completionTokens,
    totalTokens: count(total, 'total_tokens', data),
    ...(cached === undefined || cached === null
      ? {}
      : { cachedPromptTokens: count(cached, 'cached_tokens', data) }),
  };
}

function decodeToolCalls(value: unknown, data: string): ChatToolCallDelta[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw malformed('"tool_calls" that is not a list', data);
  return value.map((call: unknown, position): ChatToolCallDelta => {
    if (!isRecord(call)) throw malformed('a tool call that is not an object', data);
    const fn = call.function ?? {};
    if (!isRecord(fn)) throw malformed('a tool call function that is not an object', data);
    const index = call.index === undefined ? position : count(call.index, 'index', data);
    const id = optionalString(call.id, 'id', data);
    const name = optionalString(fn.name, 'name', data);
    const args = optionalString(fn.arguments, 'arguments', data);
    return {
      index,
      ...(id === null ? {} : { id }),
      ...(name === null ? {} : { name }),
      ...(args === null ? {} : { arguments: args }),
    };
  });
}

function count(value: unknown, field: string, data: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw malformed(`a "${field}" that is not a token count`, data);
  }
  return value;
}

function optionalString(value: unknown, field: string, data: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw malformed(`a "${field}" that is not a string`, data);
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function malformed(what: string, data: string): EngineProtocolError {
  return new EngineProtocolError(`the engine sent ${what}: ${preview(data)}`);
}

function preview(data: string): string {
  return data.length > 120 ? `${data.slice(0, 120)}…` : data;
}
