// A chat request (OpenAI's fields) as the llama.cpp host takes it: plain-text messages in three roles and
// bounded sampling settings. What the built-in engine cannot do (images, tools) is refused by name.
import type { ChatMessage, ChatRequest } from '../../../../src-shared/protocol/chat.ts';
import { EngineRequestError } from '../errors.ts';
import type { HostCommand, HostMessage } from './host-protocol.ts';

type HostChat = Extract<HostCommand, { t: 'chat' }>;

/** The host command for `request`, generating at most what the context can hold. */
export function toHostChat(request: ChatRequest, id: number, contextSize: number): HostChat {
  if (request.tools !== undefined && request.tools.length > 0) {
    throw new EngineRequestError('the built-in engine does not support tool calls');
  }
  if (request.messages.length === 0) throw new EngineRequestError('the request has no messages');
  const messages = request.messages.map(toHostMessage);
  const stop =
    request.stop === undefined ? [] : typeof request.stop === 'string' ? [request.stop] : [...request.stop];
  const maxTokens = Math.max(1, Math.min(request.max_tokens ?? contextSize, contextSize));
  return {
    t: 'chat',
    id,
    messages,
    maxTokens,
    ...(request.temperature === undefined ? {} : { temperature: clamp(request.temperature, 0, 2) }),
    ...(request.top_p === undefined ? {} : { topP: clamp(request.top_p, 0, 1) }),
    ...(request.seed === undefined || !Number.isSafeInteger(request.seed) ? {} : { seed: request.seed }),
    ...(stop.length === 0 ? {} : { stop: stop.slice(0, 16).map((text) => text.slice(0, 1024)) }),
  };
}

function toHostMessage(message: ChatMessage): HostMessage {
  const role =
    message.role === 'system' || message.role === 'developer'
      ? 'system'
      : message.role === 'assistant'
        ? 'assistant'
        : 'user';
  const content = message.content;
  if (content === null) return { role, text: '' };
  if (typeof content === 'string') return { role, text: content };
  const parts: string[] = [];
  for (const part of content) {
    if (part.type !== 'text') throw new EngineRequestError('the built-in engine does not read images');
    parts.push(part.text);
  }
  return { role, text: parts.join('') };
}

function clamp(value: number, min: number, max: number): number {
  return Number.isFinite(value) ? Math.min(max, Math.max(min, value)) : min;
}
