// The engine interface: what the node needs from any inference backend (its built-in llama.cpp, an EXO process
// it supervises, or an OpenAI-compatible server the user runs). One engine serves one cluster's model.
import type { ChatChunk, ChatRequest, ChatServingShare } from '../../../src-shared/protocol/chat.ts';
import type { TypedEventTarget } from 'main-event';

/** Which implementation an engine is. */
export type EngineKind = 'builtin' | 'exo' | 'openai';

/** What a loading engine is busy with, in order. */
export type EngineLoadingPhase = 'placing' | 'downloading' | 'loading' | 'warming-up';

/**
 * The engine's lifecycle. `absent`: the engine software is not installed (install says how to get it).
 * `failed` is final until the next start(); its log lines explain it to a contributor.
 */
export type EngineState =
  | { readonly status: 'absent'; readonly reason: string; readonly install: string }
  | { readonly status: 'starting'; readonly detail?: string }
  | {
      readonly status: 'loading';
      /** 0…1 over the whole load (download, layers, warm-up). */
      readonly progress: number;
      readonly phase: EngineLoadingPhase;
    }
  | { readonly status: 'ready'; readonly models: readonly string[] }
  | { readonly status: 'failed'; readonly reason: string; readonly lastLogLines: readonly string[] }
  | { readonly status: 'stopped' };

export type EngineStatus = EngineState['status'];

/** One line the engine process wrote (ANSI codes stripped), or a note from the supervisor itself. */
export interface EngineLogLine {
  readonly source: 'stdout' | 'stderr' | 'supervisor';
  readonly text: string;
  /** Milliseconds since the epoch. */
  readonly time: number;
}

export interface EngineEvents {
  state: CustomEvent<EngineState>;
  log: CustomEvent<EngineLogLine>;
}

export interface ChatOptions {
  readonly signal?: AbortSignal;
}

/**
 * A running generation. Iterate it for the chunks (deltas in order, then one usage chunk). Cancelling (or
 * aborting the signal, or leaving the loop early) tells the engine to stop generating.
 */
export interface ChatStream extends AsyncIterable<ChatChunk> {
  cancel(): Promise<void>;
}

/** Where a ready engine's model runs: this machine's engine node and each node's share of the work. */
export interface EnginePlacement {
  readonly localNode: string;
  readonly shares: readonly ChatServingShare[];
  /**
   * Engine node id → the IP addresses at which the engine itself reached that node (EXO's topology). What a
   * peer's claim to own a node is checked against (security finding 9); absent: no claim can be checked.
   */
  readonly nodeAddresses?: Readonly<Record<string, readonly string[]>>;
}

export interface Engine extends TypedEventTarget<EngineEvents> {
  readonly kind: EngineKind;
  /** The serving instance's placement (EXO); absent or null for single-machine engines. */
  readonly placement?: EnginePlacement | null;
  readonly state: EngineState;
  /** The most recent log lines, oldest first (bounded). */
  readonly recentLog: readonly string[];
  /** Begins supervision and resolves at once; follow `state` events to ready (a load can take hours). */
  start(): Promise<void>;
  /** Stops generation and any process this engine started; resolves when they are gone. */
  stop(): Promise<void>;
  /** Streams one chat completion. Throws EngineNotReadyError unless the state is `ready`. */
  chat(request: ChatRequest, options?: ChatOptions): ChatStream;
}

/** Resolves with the first state that matches; rejects on abort. Checks the current state first. */
export async function waitForEngineState<S extends EngineState>(
  engine: Engine,
  accept: (state: EngineState) => state is S,
  options: { signal?: AbortSignal } = {},
): Promise<S> {
  const current = engine.state;
  if (accept(current)) return current;
  let onState = (_event: CustomEvent<EngineState>) => {};
  let onAbort = () => {};
  const promise = new Promise<S>((resolve, reject) => {
    onState = (event) => {
      if (accept(event.detail)) resolve(event.detail);
    };
    onAbort = () => reject(options.signal?.reason as Error);
  });
  engine.addEventListener('state', onState);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  if (options.signal?.aborted) onAbort();
  try {
    return await promise;
  } finally {
    engine.removeEventListener('state', onState);
    options.signal?.removeEventListener('abort', onAbort);
  }
}
