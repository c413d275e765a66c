// A test double of an inference engine that streams a fixed script of deltas and then a usage chunk, whatever
// the request asks: what a hostile or broken worker's engine hands the worker (empty deltas, more tokens than
// max_tokens).
import { TypedEventEmitter } from 'main-event';
import type { ChatDeltaChunk } from '../../../../src-shared/protocol/chat.ts';
import type {
  ChatOptions,
  ChatStream,
  Engine,
  EngineEvents,
  EngineState,
} from '../../../../src-main/node/engine/engine.ts';

export class ScriptedEngineDouble extends TypedEventEmitter<EngineEvents> implements Engine {
  readonly kind = 'openai' as const;
  readonly state: EngineState = { status: 'ready', models: ['scripted'] };
  readonly recentLog: readonly string[] = [];
  readonly #deltas: readonly ChatDeltaChunk[];
  readonly #claimedCompletion: number;
  readonly #claimedPrompt: number;

  constructor(deltas: readonly ChatDeltaChunk[], claimedCompletion = deltas.length, claimedPrompt = 5) {
    super();
    this.#deltas = deltas;
    this.#claimedCompletion = claimedCompletion;
    this.#claimedPrompt = claimedPrompt;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  chat(_request: unknown, options: ChatOptions = {}): ChatStream {
    const deltas = this.#deltas;
    const completionTokens = this.#claimedCompletion;
    const promptTokens = this.#claimedPrompt;
    async function* generate() {
      for (const delta of deltas) {
        options.signal?.throwIfAborted();
        yield delta;
        await new Promise((resolve) => setImmediate(resolve));
      }
      yield {
        type: 'usage' as const,
        usage: { promptTokens, completionTokens, totalTokens: promptTokens + completionTokens },
        finishReason: 'length' as const,
      };
    }
    const iterable = generate();
    return Object.assign(iterable, { cancel: async () => void (await iterable.return(undefined)) });
  }
}

/** `n` one-word deltas. */
export function wordDeltas(n: number): ChatDeltaChunk[] {
  return Array.from({ length: n }, (_, i) => ({ type: 'delta' as const, content: `w${i} ` }));
}
