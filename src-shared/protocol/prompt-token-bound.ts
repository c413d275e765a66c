// How many prompt tokens a chat request can take at most, without a tokenizer: every token of text is at
// least one UTF-8 byte, and the JSON of the messages and tools (which a chat template turns into text plus a
// few special tokens per message) is longer than that text. Images are counted at a fixed ceiling. The
// worker quotes this bound and the requester reserves it; both compute it from the same request, so a quote
// that claims more is caught. Settlement pays the engine's real count (never above the bound).
import type { ChatRequest } from './chat.ts';
import { utf8Length } from './utf8.ts';

/** What one image may cost as prompt tokens (vision models use up to a few thousand per image). */
export const IMAGE_TOKEN_CEILING = 4096;
/** Room for the template's fixed text (system preamble, generation prompt). */
const TEMPLATE_ALLOWANCE = 64;

export function promptTokenBound(request: ChatRequest): number {
  let images = 0;
  for (const message of request.messages) {
    if (Array.isArray(message.content))
      for (const part of message.content as readonly { type: string }[])
        if (part.type === 'image_url') images++;
  }
  const text = JSON.stringify({ messages: request.messages, tools: request.tools ?? [] });
  return utf8Length(text) + images * IMAGE_TOKEN_CEILING + TEMPLATE_ALLOWANCE;
}

/**
 * A guess of the real prompt size, for a reply that ended without the engine's count (cut off): a quarter of
 * the bound, the usual bytes per token of English text.
 */
export function promptTokenEstimate(request: ChatRequest): number {
  return Math.max(1, Math.ceil(promptTokenBound(request) / 4));
}
