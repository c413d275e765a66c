// Strict validation of a chat request from an untrusted source: an OpenAI client's body on the local API, or
// a requester's frame on /og/infer. Unknown fields are refused rather than passed to an engine unchecked.
import type { ChatContentPart, ChatMessage, ChatRequest, ChatRole, ChatTool, ChatToolCall } from './chat.ts';

export const CHAT_LIMITS = {
  maxMessages: 1024,
  /** Characters of text across all messages: about 1 MB, far above any tier's context window. */
  maxTextChars: 1_000_000,
  maxTools: 64,
  maxStopSequences: 4,
  maxStopChars: 256,
  maxCompletionTokens: 131_072,
  maxNameChars: 128,
} as const;

export type ChatRequestParse =
  { readonly ok: true; readonly request: ChatRequest } | { readonly ok: false; readonly error: string };

const ROLES: readonly ChatRole[] = ['system', 'developer', 'user', 'assistant', 'tool'];

/**
 * The request fields an engine understands. `extraAllowed` lists fields the caller handles itself and
 * strips (the local API's `model`, `stream`, `stream_options`, `user`, `n`); any other field is an error.
 */
export function parseChatRequest(value: unknown, extraAllowed: readonly string[] = []): ChatRequestParse {
  try {
    return { ok: true, request: readRequest(value, extraAllowed) };
  } catch (error) {
    if (error instanceof ChatRequestInvalid) return { ok: false, error: error.message };
    throw error;
  }
}

class ChatRequestInvalid extends Error {}

function invalid(message: string): never {
  throw new ChatRequestInvalid(message);
}

const REQUEST_FIELDS = [
  'messages',
  'max_tokens',
  'max_completion_tokens',
  'temperature',
  'top_p',
  'stop',
  'seed',
  'presence_penalty',
  'frequency_penalty',
  'tools',
];

function readRequest(value: unknown, extraAllowed: readonly string[]): ChatRequest {
  const body = record(value, 'the request');
  for (const key of Object.keys(body)) {
    if (!REQUEST_FIELDS.includes(key) && !extraAllowed.includes(key))
      invalid(`unsupported field "${clip(key)}"`);
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0)
    invalid('"messages" must be a non-empty array');
  if (body.messages.length > CHAT_LIMITS.maxMessages) invalid(`at most ${CHAT_LIMITS.maxMessages} messages`);
  const budget = { chars: 0 };
  const messages = body.messages.map((message, index) => readMessage(message, `messages[${index}]`, budget));
  const maxTokens = body.max_completion_tokens ?? body.max_tokens;
  const request: { -readonly [K in keyof ChatRequest]: ChatRequest[K] } = { messages };
  if (maxTokens !== undefined && maxTokens !== null) {
    request.max_tokens = integer(maxTokens, '"max_tokens"', 1, CHAT_LIMITS.maxCompletionTokens);
  }
  if (body.temperature !== undefined && body.temperature !== null) {
    request.temperature = number(body.temperature, '"temperature"', 0, 2);
  }
  if (body.top_p !== undefined && body.top_p !== null) request.top_p = number(body.top_p, '"top_p"', 0, 1);
  if (body.presence_penalty !== undefined && body.presence_penalty !== null) {
    request.presence_penalty = number(body.presence_penalty, '"presence_penalty"', -2, 2);
  }
  if (body.frequency_penalty !== undefined && body.frequency_penalty !== null) {
    request.frequency_penalty = number(body.frequency_penalty, '"frequency_penalty"', -2, 2);
  }
  if (body.seed !== undefined && body.seed !== null) {
    request.seed = integer(body.seed, '"seed"', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  }
  if (body.stop !== undefined && body.stop !== null) request.stop = readStop(body.stop);
  if (body.tools !== undefined && body.tools !== null) request.tools = readTools(body.tools);
  return request;
}

function readMessage(value: unknown, where: string, budget: { chars: number }): ChatMessage {
  const message = record(value, where);
  for (const key of Object.keys(message)) {
    if (!['role', 'content', 'name', 'tool_calls', 'tool_call_id'].includes(key)) {
      invalid(`${where}: unsupported field "${clip(key)}"`);
    }
  }
  const role = message.role;
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) {
    invalid(`${where}.role must be one of ${ROLES.join(', ')}`);
  }
  const out: { -readonly [K in keyof ChatMessage]: ChatMessage[K] } = {
    role: role as ChatRole,
    content: readContent(message.content, `${where}.content`, budget),
  };
  if (out.content === null && role !== 'assistant') invalid(`${where}.content is required`);
  if (message.name !== undefined) out.name = text(message.name, `${where}.name`, CHAT_LIMITS.maxNameChars);
  if (message.tool_call_id !== undefined) {
    out.tool_call_id = text(message.tool_call_id, `${where}.tool_call_id`, CHAT_LIMITS.maxNameChars);
  }
  if (message.tool_calls !== undefined) {
    if (!Array.isArray(message.tool_calls) || message.tool_calls.length > CHAT_LIMITS.maxTools) {
      invalid(`${where}.tool_calls must be an array of at most ${CHAT_LIMITS.maxTools}`);
    }
    out.tool_calls = message.tool_calls.map((call, index) =>
      readToolCall(call, `${where}.tool_calls[${index}]`, budget),
    );
  }
  return out;
}

/** `data:image/<type>[;parameters],<payload>`: the only image form a request may carry. */
const IMAGE_DATA_URL = /^data:image\/[a-z0-9][a-z0-9.+-]{0,63}(;[a-z0-9=.+-]{1,64}){0,4},[a-z0-9+/=%._-]*$/i;

function readContent(value: unknown, where: string, budget: { chars: number }): ChatMessage['content'] {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return spend(value, where, budget);
  if (!Array.isArray(value)) invalid(`${where} must be a string or an array of parts`);
  return value.map((part, index): ChatContentPart => {
    const at = `${where}[${index}]`;
    const fields = record(part, at);
    if (fields.type === 'text')
      return { type: 'text', text: spend(text(fields.text, `${at}.text`), at, budget) };
    if (fields.type === 'image_url') {
      const image = record(fields.image_url, `${at}.image_url`);
      const url = spend(text(image.url, `${at}.image_url.url`), at, budget);
      // Only inline images: a URL would make the worker's engine fetch whatever a stranger names (cloud
      // metadata, LAN hosts, file://), finding 22 of ref/security-findings.md.
      if (!IMAGE_DATA_URL.test(url))
        invalid(`${at}.image_url.url must be a data: URL of an image (data:image/png;base64,…)`);
      return { type: 'image_url', image_url: { url } };
    }
    return invalid(`${at}.type must be "text" or "image_url"`);
  });
}

function readToolCall(value: unknown, where: string, budget: { chars: number }): ChatToolCall {
  const call = record(value, where);
  if (call.type !== 'function') invalid(`${where}.type must be "function"`);
  const fn = record(call.function, `${where}.function`);
  return {
    id: text(call.id, `${where}.id`, CHAT_LIMITS.maxNameChars),
    type: 'function',
    function: {
      name: text(fn.name, `${where}.function.name`, CHAT_LIMITS.maxNameChars),
      arguments: spend(text(fn.arguments, `${where}.function.arguments`), where, budget),
    },
  };
}

function readTools(value: unknown): ChatTool[] {
  if (!Array.isArray(value) || value.length > CHAT_LIMITS.maxTools) {
    invalid(`"tools" must be an array of at most ${CHAT_LIMITS.maxTools}`);
  }
  return value.map((tool, index) => {
    const where = `tools[${index}]`;
    const fields = record(tool, where);
    if (fields.type !== 'function') invalid(`${where}.type must be "function"`);
    const fn = record(fields.function, `${where}.function`);
    const out: {
      type: 'function';
      function: { name: string; description?: string; parameters?: Record<string, unknown> };
    } = {
      type: 'function',
      function: { name: text(fn.name, `${where}.function.name`, CHAT_LIMITS.maxNameChars) },
    };
    if (fn.description !== undefined)
      out.function.description = text(fn.description, `${where}.function.description`, 4096);
    if (fn.parameters !== undefined) {
      const parameters = record(fn.parameters, `${where}.function.parameters`);
      if (JSON.stringify(parameters).length > 32_768) invalid(`${where}.function.parameters is too large`);
      out.function.parameters = parameters;
    }
    return out;
  });
}

function readStop(value: unknown): string | string[] {
  if (typeof value === 'string') return text(value, '"stop"', CHAT_LIMITS.maxStopChars);
  if (!Array.isArray(value) || value.length > CHAT_LIMITS.maxStopSequences) {
    invalid(`"stop" must be a string or at most ${CHAT_LIMITS.maxStopSequences} strings`);
  }
  return value.map((item, index) => text(item, `"stop"[${index}]`, CHAT_LIMITS.maxStopChars));
}

function spend(value: string, where: string, budget: { chars: number }): string {
  budget.chars += value.length;
  if (budget.chars > CHAT_LIMITS.maxTextChars)
    invalid(`${where}: the request holds more than ${CHAT_LIMITS.maxTextChars} characters`);
  return value;
}

function record(value: unknown, where: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    invalid(`${where} must be an object`);
  }
  return value as Record<string, unknown>;
}

function text(value: unknown, where: string, max: number = CHAT_LIMITS.maxTextChars): string {
  if (typeof value !== 'string') invalid(`${where} must be a string`);
  if (value.length > max) invalid(`${where} is longer than ${max} characters`);
  return value;
}

function number(value: unknown, where: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
    invalid(`${where} must be a number from ${min} to ${max}`);
  }
  return value;
}

function integer(value: unknown, where: string, min: number, max: number): number {
  if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
    invalid(`${where} must be a whole number from ${min} to ${max}`);
  }
  return value as number;
}

function clip(key: string): string {
  return key.length > 40 ? `${key.slice(0, 40)}…` : key;
}
