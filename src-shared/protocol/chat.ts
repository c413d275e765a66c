// The chat request an engine serves and the stream of chunks it answers with. Shared by the engines, the
// routing layer (which carries them between nodes) and the local OpenAI-compatible API (which re-emits them).
//
// The request keeps OpenAI's Chat Completions field names (snake_case) because it is OpenAI's request,
// validated and passed on; the chunks are our own normalised form (camelCase), one shape whatever the engine.

/** Who wrote a message. */
export type ChatRole = 'system' | 'developer' | 'user' | 'assistant' | 'tool';

export interface ChatTextPart {
  readonly type: 'text';
  readonly text: string;
}

export interface ChatImagePart {
  readonly type: 'image_url';
  readonly image_url: { readonly url: string };
}

export type ChatContentPart = ChatTextPart | ChatImagePart;

/** A tool call the assistant made, as it appears in a later request's history. */
export interface ChatToolCall {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

export interface ChatMessage {
  readonly role: ChatRole;
  readonly content: string | readonly ChatContentPart[] | null;
  readonly name?: string;
  readonly tool_calls?: readonly ChatToolCall[];
  readonly tool_call_id?: string;
}

/** A tool the model may call (OpenAI's function tool). */
export interface ChatTool {
  readonly type: 'function';
  readonly function: {
    readonly name: string;
    readonly description?: string;
    readonly parameters?: Readonly<Record<string, unknown>>;
  };
}

/**
 * A chat request as an engine receives it: OpenAI's Chat Completions fields minus `model` and `stream`.
 * The engine sends the model it serves and always streams.
 */
export interface ChatRequest {
  readonly messages: readonly ChatMessage[];
  readonly max_tokens?: number;
  readonly temperature?: number;
  readonly top_p?: number;
  readonly stop?: string | readonly string[];
  readonly seed?: number;
  readonly presence_penalty?: number;
  readonly frequency_penalty?: number;
  readonly tools?: readonly ChatTool[];
}

/** Why the generation ended. */
export type ChatFinishReason =
  'stop' | 'length' | 'tool_calls' | 'content_filter' | 'function_call' | 'error';

/** A fragment of a tool call; fragments with the same index concatenate. */
export interface ChatToolCallDelta {
  readonly index: number;
  readonly id?: string;
  readonly name?: string;
  readonly arguments?: string;
}

/** Text (or reasoning, or tool-call fragments) generated since the previous chunk. */
export interface ChatDeltaChunk {
  readonly type: 'delta';
  readonly content?: string;
  readonly reasoningContent?: string;
  readonly toolCalls?: readonly ChatToolCallDelta[];
}

/** Token counts for one request, as the engine reported them. */
export interface ChatUsage {
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly totalTokens: number;
  /** Prompt tokens served from the engine's prefix cache, when it says. */
  readonly cachedPromptTokens?: number;
  /** True when the engine sent no counts and these were estimated (a server without usage in streams). */
  readonly estimated?: boolean;
}

/**
 * One machine of the engine's own cluster that held part of the model for this request, and its share
 * (layers held / total layers for a pipeline split, 1 / ranks for a tensor split). Payment follows it later.
 */
export interface ChatServingShare {
  readonly engineNodeId: string;
  readonly share: number;
}

/** The last chunk of every successful stream. */
export interface ChatUsageChunk {
  readonly type: 'usage';
  readonly usage: ChatUsage;
  readonly finishReason: ChatFinishReason | null;
  /** Who computed it, when the engine shards across machines (EXO). */
  readonly servedBy?: readonly ChatServingShare[];
}

/** What a chat stream yields: deltas in generation order, then exactly one usage chunk. */
export type ChatChunk = ChatDeltaChunk | ChatUsageChunk;
