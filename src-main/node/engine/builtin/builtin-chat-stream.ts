// One chat on the built-in engine: the node's side of a request running in the llama.cpp host. Deltas arrive
// as host events and are yielded in order, then one usage chunk. Cancelling (or the caller's signal, or
// leaving the loop early) sends `cancel` to the host, which aborts llama.cpp's generation.
import type { ChatChunk } from '../../../../src-shared/protocol/chat.ts';
import type { ChatStream } from '../engine.ts';
import { EngineRequestError, EngineTimeoutError } from '../errors.ts';
import type { HostEvent } from './host-protocol.ts';

export interface BuiltinChatStreamInit {
  readonly signal?: AbortSignal | undefined;
  /** Sends the chat to the host; throws (an expected error) when it cannot. */
  readonly begin: () => void;
  /** Asks the host to stop generating. */
  readonly cancelRemote: () => void;
  /** The stream is over (however it ended): forget it. */
  readonly settled: () => void;
  /** Nothing from the host for this long fails the request. */
  readonly idleTimeoutMs: number;
}

type StreamEvent = Extract<HostEvent, { t: 'delta' | 'done' | 'error' }>;

export class BuiltinChatStream implements ChatStream {
  readonly #init: BuiltinChatStreamInit;
  readonly #queue: ChatChunk[] = [];
  #failure: { readonly error: unknown } | null = null;
  #ended = false;
  #finished = false;
  #cancelled: DOMException | null = null;
  #wake: (() => void) | null = null;
  #iterated = false;

  constructor(init: BuiltinChatStreamInit) {
    this.#init = init;
  }

  /** An event the host sent for this request. */
  deliver(event: StreamEvent): void {
    if (this.#ended) return;
    switch (event.t) {
      case 'delta':
        if (event.text !== '') this.#queue.push({ type: 'delta', content: event.text });
        break;
      case 'done':
        this.#queue.push({
          type: 'usage',
          usage: {
            promptTokens: event.promptTokens,
            completionTokens: event.completionTokens,
            totalTokens: event.promptTokens + event.completionTokens,
          },
          finishReason: event.finishReason,
        });
        this.#ended = true;
        break;
      case 'error':
        this.fail(new EngineRequestError(`the built-in engine could not answer: ${event.message}`));
        return;
    }
    this.#wakeReader();
  }

  /** The request cannot complete (the host died, the link broke). */
  fail(error: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#failure = { error };
    this.#wakeReader();
  }

  cancel(): Promise<void> {
    if (this.#cancelled === null && !this.#finished) {
      this.#cancelled = new DOMException('the chat request was cancelled', 'AbortError');
      if (!this.#ended) this.#init.cancelRemote();
      this.fail(this.#cancelled);
    }
    return Promise.resolve();
  }

  [Symbol.asyncIterator](): AsyncIterator<ChatChunk> {
    if (this.#iterated) throw new Error('a chat stream can be read only once');
    this.#iterated = true;
    return this.#run();
  }

  #wakeReader(): void {
    const wake = this.#wake;
    this.#wake = null;
    wake?.();
  }

  async *#run(): AsyncGenerator<ChatChunk> {
    const external = this.#init.signal;
    if (external?.aborted) throw external.reason;
    const onAbort = () => void this.cancel();
    external?.addEventListener('abort', onAbort, { once: true });
    let idleTimer: NodeJS.Timeout | undefined;
    const armIdleTimer = () => {
      clearTimeout(idleTimer);
      idleTimer = setTimeout(() => {
        this.#init.cancelRemote();
        this.fail(
          new EngineTimeoutError(
            `the built-in engine produced nothing for ${Math.round(this.#init.idleTimeoutMs / 1000)} s; the request was cancelled`,
          ),
        );
      }, this.#init.idleTimeoutMs);
    };
    try {
      this.#init.begin();
      armIdleTimer();
      for (;;) {
        const chunk = this.#queue.shift();
        if (chunk !== undefined) {
          if (chunk.type === 'usage') this.#finished = true;
          // The idle clock measures the host, not our consumer: it is re-armed when we ask for more.
          clearTimeout(idleTimer);
          yield chunk;
          if (this.#finished) return;
          armIdleTimer();
          continue;
        }
        if (this.#failure) {
          const error = this.#failure.error;
          throw this.#cancelled !== null && external?.aborted ? external.reason : error;
        }
        await new Promise<void>((resolve) => {
          this.#wake = resolve;
        });
      }
    } finally {
      clearTimeout(idleTimer);
      external?.removeEventListener('abort', onAbort);
      // Left early (break, return, an error): stop the generation in the host too.
      if (!this.#finished && !this.#ended) this.#init.cancelRemote();
      this.#ended = true;
      this.#init.settled();
    }
  }
}
