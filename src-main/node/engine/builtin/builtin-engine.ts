// The built-in engine: llama.cpp through node-llama-cpp, in a host child process the node supervises like
// EXO (crash → restart with backoff, a crash loop → failed with the host's last lines). The node's process
// never loads llama.cpp itself, so a native abort can only take the host down (ref/real-engine.md).
import { stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ChatRequest } from '../../../../src-shared/protocol/chat.ts';
import type { ChatOptions, ChatStream } from '../engine.ts';
import { EngineBase, errorMessage, type EngineBaseInit, type RunOutcome } from '../engine-base.ts';
import { EngineNotReadyError, EngineStartError, EngineUnavailableError } from '../errors.ts';
import { describeExit } from '../managed-process.ts';
import { BuiltinChatStream } from './builtin-chat-stream.ts';
import { ggufHeaderProblem } from './gguf-header.ts';
import { toHostChat } from './host-chat.ts';
import { childProcessHostLauncher, type HostLauncher, type HostProcess } from './host-launcher.ts';
import { HostLink } from './host-link.ts';
import type { HostBackend, HostEvent, HostGpu } from './host-protocol.ts';
import type { ModelFile } from './model-source.ts';

export interface BuiltinEngineInit extends EngineBaseInit {
  readonly model: ModelFile;
  /** CPU threads llama.cpp uses (1 in tests; at most availableParallelism − 1 for users). */
  readonly threads: number;
  /** `false` in tests (CPU only); 'auto' lets node-llama-cpp pick Metal, CUDA or Vulkan where they work. */
  readonly gpu: HostGpu;
  /** Layers on the GPU; default 'auto' (as many as fit in the GPU share). */
  readonly gpuLayers?: number | 'auto';
  /** Share of GPU memory llama.cpp may plan with, 0…1. Default 1. */
  readonly gpuShare?: number;
  /** Context size to serve with; default the model file's, at most 8192. */
  readonly contextSize?: number;
  /** Requests generated at once; more wait in the host. Default 2. */
  readonly sequences?: number;
  /** How long loading may take before the host counts as hung. Default 10 min. */
  readonly loadTimeoutMs?: number;
  /** A chat that receives nothing from the host for this long fails. Default 120 s. */
  readonly chatIdleTimeoutMs?: number;
  /** The host script; default llama-host beside this file (.ts from source, .js when built). */
  readonly hostScript?: string;
  /**
   * Starts the host; default a child process of this Node (the headless node). The desktop app passes its
   * Electron utilityProcess launcher (src-main/app/utility-host-launcher.ts).
   */
  readonly hostLauncher?: HostLauncher;
  readonly baseEnv?: NodeJS.ProcessEnv;
}

/** What the host reported when the model became ready. */
export interface BuiltinLoadInfo {
  readonly backend: HostBackend;
  readonly gpuLayers: number;
  readonly contextSize: number;
  readonly threads: number;
}

export const DEFAULT_BUILTIN_CONTEXT_SIZE = 8192;
const DEFAULT_STOP_GRACE_MS = 5_000;

/** The host script next to this module, in whichever form this module runs (source or bundle). */
export function defaultHostScript(): string {
  const here = fileURLToPath(import.meta.url);
  return fileURLToPath(new URL(`./llama-host${extname(here) === '.ts' ? '.ts' : '.js'}`, import.meta.url));
}

export class BuiltinEngine extends EngineBase {
  readonly kind = 'builtin' as const;
  protected readonly engineName = 'the built-in engine';
  readonly #init: BuiltinEngineInit;
  readonly #streams = new Map<number, BuiltinChatStream>();
  #link: HostLink | null = null;
  #loadInfo: BuiltinLoadInfo | null = null;
  #nextId = 1;

  constructor(init: BuiltinEngineInit) {
    super({ ...init, stopGraceMs: init.stopGraceMs ?? DEFAULT_STOP_GRACE_MS });
    this.#init = init;
  }

  get model(): ModelFile {
    return this.#init.model;
  }

  /** Backend, GPU layers, context size and threads, while ready. */
  get loadInfo(): BuiltinLoadInfo | null {
    return this.#loadInfo;
  }

  chat(request: ChatRequest, options: ChatOptions = {}): ChatStream {
    const link = this.#link;
    if (this.state.status !== 'ready' || link === null || this.#loadInfo === null) {
      throw new EngineNotReadyError('built-in', this.state.status);
    }
    const contextSize = this.#loadInfo.contextSize;
    const command = toHostChat(request, 0, contextSize);
    const id = this.#nextId;
    this.#nextId = this.#nextId >= 2 ** 31 - 1 ? 1 : this.#nextId + 1;
    const stream: BuiltinChatStream = new BuiltinChatStream({
      signal: options.signal,
      idleTimeoutMs: this.#init.chatIdleTimeoutMs ?? 120_000,
      begin: () => {
        if (!link.open)
          throw new EngineUnavailableError('the built-in engine stopped before the request began');
        this.#streams.set(id, stream);
        link.send({ ...command, id });
      },
      cancelRemote: () => void link.send({ t: 'cancel', id }),
      settled: () => {
        if (this.#streams.get(id) === stream) this.#streams.delete(id);
      },
    });
    return stream;
  }

  protected async supervise(signal: AbortSignal): Promise<void> {
    const path = this.#init.model.path;
    let problem: string | null;
    try {
      const file = await stat(path);
      problem = file.isFile() ? await ggufHeaderProblem(path) : 'it is not a file';
    } catch (error) {
      this.fail(`the model file ${path} cannot be read: ${errorMessage(error)}`);
      return;
    }
    if (problem !== null) {
      this.fail(`the model file ${path} cannot be served: ${problem}`);
      return;
    }
    const env: NodeJS.ProcessEnv = { ...(this.#init.baseEnv ?? process.env) };
    const script = this.#init.hostScript ?? defaultHostScript();
    const launcher = this.#init.hostLauncher ?? childProcessHostLauncher();
    await this.superviseRestarts(signal, (runSignal) =>
      this.withStartedProcess(
        {
          description: `the llama.cpp host ${script} (${launcher.kind})`,
          start: (onLine) => launcher.launch({ script, env, onLine }),
        },
        runSignal,
        (life, process) => this.#serve(life, process),
      ),
    );
  }

  async #serve(life: AbortSignal, process: HostProcess): Promise<RunOutcome> {
    const channel = process.channel;
    const init = this.#init;
    const loaded = withResolvers<BuiltinLoadInfo>();
    const closed = withResolvers<never>();
    // Nobody may be waiting on these when they settle.
    loaded.promise.catch(() => undefined);
    closed.promise.catch(() => undefined);
    const link = new HostLink(channel, {
      onEvent: (event) => this.#onEvent(event, loaded),
      onClose: (why) => {
        closed.reject(new Error(why));
        void this.#failStreams(process, why);
      },
    });
    try {
      this.setState({ status: 'loading', progress: 0, phase: 'loading' });
      link.send({
        t: 'load',
        modelPath: init.model.path,
        contextSize: Math.max(
          16,
          init.contextSize ?? Math.min(init.model.contextLength, DEFAULT_BUILTIN_CONTEXT_SIZE),
        ),
        threads: Math.max(1, Math.floor(init.threads)),
        gpu: init.gpu,
        gpuLayers: init.gpu === false ? 0 : (init.gpuLayers ?? 'auto'),
        gpuShare: Math.min(1, Math.max(0, init.gpuShare ?? 1)),
        sequences: Math.min(64, Math.max(1, init.sequences ?? 2)),
      });
      const timeoutMs = init.loadTimeoutMs ?? 600_000;
      const loadTimer = new AbortController();
      const info = await Promise.race([
        loaded.promise,
        closed.promise,
        abortPromise(life),
        sleep(timeoutMs, undefined, { signal: loadTimer.signal }).then(() => {
          throw new Error(`did not load the model within ${Math.round(timeoutMs / 1000)} s`);
        }),
      ]).finally(() => loadTimer.abort());
      this.#loadInfo = info;
      this.#link = link;
      this.setState({ status: 'ready', models: [init.model.modelId] });
      this.note(
        `serving ${init.model.modelId} on ${info.backend} (${info.gpuLayers} GPU layers, ${info.threads} threads, ` +
          `context ${info.contextSize})`,
      );
      this.markHealthy();
      return await Promise.race([closed.promise, abortPromise(life)]);
    } finally {
      // The link stays open until the process is stopped: closing it first would make the host exit, and
      // that exit would be taken for a crash. Its close then fails any request still running.
      this.#link = null;
      this.#loadInfo = null;
    }
  }

  #onEvent(event: HostEvent, loaded: ReturnType<typeof withResolvers<BuiltinLoadInfo>>): void {
    switch (event.t) {
      case 'progress':
        if (this.state.status === 'loading') {
          this.setState({ status: 'loading', progress: event.progress, phase: 'loading' });
        }
        return;
      case 'ready':
        loaded.resolve({
          backend: event.backend,
          gpuLayers: event.gpuLayers,
          contextSize: event.contextSize,
          threads: event.threads,
        });
        return;
      case 'load-failed':
        // A file llama.cpp cannot load will not load after a restart either.
        loaded.reject(
          new EngineStartError(`llama.cpp could not load ${this.#init.model.path}: ${event.message}`),
        );
        return;
      case 'delta':
      case 'done':
      case 'error':
        this.#streams.get(event.id)?.deliver(event);
        return;
    }
  }

  /** The host is gone: every running request fails, explained by how the process ended when it says. */
  async #failStreams(process: HostProcess, why: string): Promise<void> {
    if (this.#streams.size === 0) return;
    const exit = await Promise.race([process.exited, sleep(250).then(() => null)]);
    const reason = exit ? `its llama.cpp process ${describeExit(exit)}` : why;
    for (const stream of this.#streams.values()) {
      stream.fail(new EngineUnavailableError(`the built-in engine stopped during the request: ${reason}`));
    }
    this.#streams.clear();
  }
}

function abortPromise(signal: AbortSignal): Promise<never> {
  return new Promise((_resolve, reject) => {
    if (signal.aborted) reject(signal.reason as Error);
    else signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
  });
}

function withResolvers<T>(): {
  promise: Promise<T>;
  resolve: (value: T) => void;
  reject: (reason: unknown) => void;
} {
  let resolve: (value: T) => void = () => {};
  let reject: (reason: unknown) => void = () => {};
  const promise = new Promise<T>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  return { promise, resolve, reject };
}
