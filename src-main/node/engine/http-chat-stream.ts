// One streamed Chat Completions request over HTTP (SSE), turned into our ChatChunks. Shared by the EXO and
// OpenAI-compatible engines; what differs between them (cancel, usage, attribution) comes in as hooks.
import type {
  ChatChunk,
  ChatFinishReason,
  ChatServingShare,
  ChatUsage,
} from '../../../src-shared/protocol/chat.ts';
import { isExpectedError } from '../../../src-shared/errors/expected-error.ts';
import { decodeChatChunk } from './chat-chunk-decoder.ts';
import type { ChatStream } from './engine.ts';
import {
  EngineProtocolError,
  EngineRequestError,
  EngineTimeoutError,
  EngineUnavailableError,
} from './errors.ts';
import { readErrorMessage } from './http-json.ts';
import { SseParser } from './sse-parser.ts';

export interface HttpChatStreamInit {
  /** e.g. `EXO` or `the OpenAI-compatible server at …`, for messages. */
  readonly engineName: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** The JSON body (already including `model` and `stream: true`). */
  readonly body: unknown;
  readonly signal?: AbortSignal | undefined;
  readonly fetch?: typeof fetch;
  /** Longest SSE line or event accepted. */
  readonly maxEventChars?: number;
  /** No byte for this long (EXO sends keep-alives every 10 s) fails the request. Default 120 s. */
  readonly idleTimeoutMs?: number;
  /** Tells the server to stop generating `completionId` (EXO's /v1/cancel). Bounded by the caller. */
  readonly cancelRemote?: (completionId: string) => Promise<void>;
  /** Who served the completion (EXO shard attribution); started as soon as the id is known. */
  readonly servedBy?: (completionId: string) => Promise<readonly ChatServingShare[] | undefined>;
  /** Usage for a server that sent none in its stream; without it a missing usage is a protocol error. */
  readonly estimateUsage?: (completionChunks: number) => ChatUsage;
  /** Called with the parser once created, so tests and benchmarks can read its buffer statistics. */
  readonly onParser?: (parser: SseParser) => void;
}

const DEFAULT_IDLE_TIMEOUT_MS = 120_000;

export function openHttpChatStream(init: HttpChatStreamInit): ChatStream {
  return new HttpChatStream(init);
}

class HttpChatStream implements ChatStream {
  readonly #init: HttpChatStreamInit;
  readonly #controller = new AbortController();
  #completionId: string | null = null;
  #finished = false;
  #cancelling: Promise<void> | null = null;
  #iterated = false;

  constructor(init: HttpChatStreamInit) {
    this.#init = init;
  }

  [Symbol.asyncIterator](): AsyncIterator<ChatChunk> {
    if (this.#iterated) throw new Error('a chat stream can be read only once');
    this.#iterated = true;
    return this.#run();
  }

  cancel(): Promise<void> {
    this.#cancelling ??= this.#cancel();
    return this.#cancelling;
  }

  async #cancel(): Promise<void> {
    const id = this.#completionId;
    // Ask the server to stop before hanging up, so the generation ends even where a disconnect does not.
    if (!this.#finished && id !== null && this.#init.cancelRemote) {
      await this.#init.cancelRemote(id).catch(() => undefined);
    }
    this.#controller.abort(new DOMException('the chat request was cancelled', 'AbortError'));
  }

  async *#run(): AsyncGenerator<ChatChunk> {
    const external = this.#init.signal;
    const onAbort = () => void this.cancel();
    if (external?.aborted) throw external.reason;
    external?.addEventListener('abort', onAbort, { once: true });
    let idleTimer: NodeJS.Timeout | undefined;
    let timedOut = false;
    // Only the engine's silence counts: time spent waiting for our own consumer to pull does not.
    let consumerHolds = false;
    const idleTimeoutMs = this.#init.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
    const armIdleTimer = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        if (consumerHolds) return armIdleTimer();
        timedOut = true;
        void this.cancel();
      }, idleTimeoutMs);
    };
    let servedBy: Promise<readonly ChatServingShare[] | undefined> | undefined;
    try {
      armIdleTimer();
      const response = await this.#post();
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      const parser = new SseParser(
        this.#init.maxEventChars === undefined ? {} : { maxEventChars: this.#init.maxEventChars },
      );
      this.#init.onParser?.(parser);
      let usage: ChatUsage | null = null;
      let finishReason: ChatFinishReason | null = null;
      let completionChunks = 0;
      let done = false;
      try {
        while (!done) {
          const read = await reader.read();
          armIdleTimer();
          if (read.done) break;
          for (const event of parser.push(read.value)) {
            if (event.data === '[DONE]') {
              done = true;
              break;
            }
            const chunk = decodeChatChunk(event.data);
            if (chunk.id !== null && this.#completionId === null) {
              this.#completionId = chunk.id;
              servedBy = this.#init.servedBy?.(chunk.id).catch(() => undefined);
            }
            if (chunk.usage) usage = chunk.usage;
            if (chunk.finishReason) finishReason = chunk.finishReason;
            if (chunk.content || chunk.reasoningContent || chunk.toolCalls) {
              completionChunks += 1;
              consumerHolds = true;
              yield {
                type: 'delta',
                ...(chunk.content ? { content: chunk.content } : {}),
                ...(chunk.reasoningContent ? { reasoningContent: chunk.reasoningContent } : {}),
                ...(chunk.toolCalls ? { toolCalls: chunk.toolCalls } : {}),
              };
              consumerHolds = false;
            }
          }
        }
      } finally {
        parser.end();
        reader.releaseLock();
      }
      if (!done) {
        throw new EngineUnavailableError(
          `${this.#init.engineName} closed the stream before the answer was complete ` +
            `(${completionChunks} chunks received, no [DONE])`,
        );
      }
      this.#finished = true;
      if (!usage) {
        if (!this.#init.estimateUsage) {
          throw new EngineProtocolError(`${this.#init.engineName} ended the stream without token usage`);
        }
        usage = this.#init.estimateUsage(completionChunks);
      }
      const shares = servedBy ? await servedBy : undefined;
      yield { type: 'usage', usage, finishReason, ...(shares ? { servedBy: shares } : {}) };
    } catch (error) {
      if (timedOut) {
        throw new EngineTimeoutError(
          `${this.#init.engineName} sent nothing for ${Math.round(idleTimeoutMs / 1000)} s; the request was cancelled`,
        );
      }
      if (this.#controller.signal.aborted)
        throw external?.aborted ? external.reason : this.#controller.signal.reason;
      if (error instanceof EngineProtocolError) await this.cancel();
      throw isExpectedError(error)
        ? error
        : new EngineUnavailableError(`${this.#init.engineName} connection failed: ${describe(error)}`);
    } finally {
      clearTimeout(idleTimer);
      external?.removeEventListener('abort', onAbort);
      // Left early (break, return, an error): stop the generation on the server too.
      if (!this.#finished) await this.cancel();
    }
  }

  async #post(): Promise<Response> {
    let response: Response;
    try {
      response = await (this.#init.fetch ?? fetch)(this.#init.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...this.#init.headers },
        body: JSON.stringify(this.#init.body),
        signal: this.#controller.signal,
      });
    } catch (error) {
      if (this.#controller.signal.aborted) throw error;
      throw new EngineUnavailableError(`cannot reach ${this.#init.engineName}: ${describe(error)}`);
    }
    if (!response.ok) {
      const message = await readErrorMessage(response);
      throw new EngineRequestError(
        `${this.#init.engineName} refused the request (HTTP ${response.status}): ${message}`,
        response.status,
      );
    }
    const type = response.headers.get('content-type') ?? '';
    if (!type.startsWith('text/event-stream') || !response.body) {
      await response.body?.cancel();
      throw new EngineProtocolError(
        `${this.#init.engineName} answered with ${type || 'no body'}, not an event stream`,
      );
    }
    return response;
  }
}

function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
