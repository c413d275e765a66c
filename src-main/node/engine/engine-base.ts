// What every engine shares: the state machine and its events, the log ring, and the supervision of a
// process it started (spawn, restart with backoff, crash-loop detection, stop with a grace period).
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatRequest } from '../../../src-shared/protocol/chat.ts';
import { isExpectedError } from '../../../src-shared/errors/expected-error.ts';
import type {
  ChatOptions,
  ChatStream,
  Engine,
  EngineEvents,
  EngineKind,
  EngineLogLine,
  EngineState,
} from './engine.ts';
import { EngineStartError } from './errors.ts';
import { DEFAULT_LOG_RING_LINES, LogRing } from './log-ring.ts';
import { describeExit, ManagedProcess, type ProcessExit } from './managed-process.ts';
import { RestartBackoff, type RestartBackoffInit } from './restart-backoff.ts';
import { TypedEventEmitter } from 'main-event';

export interface EngineBaseInit {
  /** SIGTERM → this long → SIGKILL of the process group. Default 30 s (EXO needs up to 30 s). */
  readonly stopGraceMs?: number;
  readonly restart?: RestartBackoffInit;
  /** Log lines kept for the UI. Default 200. */
  readonly logLines?: number;
}

/** How one run of an engine process ended. */
export type RunOutcome =
  | { readonly kind: 'stopped' }
  | { readonly kind: 'crashed'; readonly why: string }
  | { readonly kind: 'failed'; readonly reason: string };

export interface ProcessCommand {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env: NodeJS.ProcessEnv;
  /** Open a message pipe on the child's fd 3. */
  readonly channel?: boolean;
}

/** A process an engine supervises, however it was started (a child process, Electron's utilityProcess). */
export interface SupervisedProcess {
  /** Undefined until the process has started (and when it could not be). */
  readonly pid: number | undefined;
  readonly running: boolean;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  /** Asks the process to end, and ends it by force if it has not after `graceMs`. */
  stop(graceMs: number): Promise<ProcessExit>;
}

/** How to start one run's process: a description for the log, and the start itself. */
export interface ProcessStart<P extends SupervisedProcess> {
  readonly description: string;
  start(onLine: (line: EngineLogLine) => void): P;
}

export const DEFAULT_STOP_GRACE_MS = 30_000;
/** Lines of the engine's own output attached to a `failed` state. */
export const FAILURE_LOG_LINES = 20;
/** After a request fails, how long to wait for the process's exit to explain it. */
const EXIT_SETTLE_MS = 250;

export abstract class EngineBase extends TypedEventEmitter<EngineEvents> implements Engine {
  abstract readonly kind: EngineKind;
  /** How messages name this engine ("EXO", "the server at …"). */
  protected abstract readonly engineName: string;
  protected readonly stopGraceMs: number;
  readonly #restart: RestartBackoffInit;
  readonly #log: LogRing;
  readonly #output: LogRing;
  #state: EngineState = { status: 'stopped' };
  #run: { readonly abort: AbortController; readonly done: Promise<void>; finished: boolean } | null = null;
  #backoff: RestartBackoff | null = null;
  #process: SupervisedProcess | null = null;

  constructor(init: EngineBaseInit) {
    super();
    this.stopGraceMs = init.stopGraceMs ?? DEFAULT_STOP_GRACE_MS;
    this.#restart = init.restart ?? {};
    this.#log = new LogRing(init.logLines ?? DEFAULT_LOG_RING_LINES);
    this.#output = new LogRing(FAILURE_LOG_LINES);
  }

  get state(): EngineState {
    return this.#state;
  }

  get recentLog(): readonly string[] {
    return this.#log.lines();
  }

  /** The engine process this engine started (also its process group id), while it runs. */
  get pid(): number | null {
    return this.#process?.running ? (this.#process.pid ?? null) : null;
  }

  /** Starts supervising; after `failed` or `absent`, starting again tries afresh. */
  async start(): Promise<void> {
    if (this.#run && !this.#run.finished) {
      const status = this.#state.status;
      // A run that has failed may still be tidying up (its process, its records): let it finish first.
      if (status !== 'failed' && status !== 'absent') return;
      await this.#run.done;
    }
    const abort = new AbortController();
    this.setState({ status: 'starting' });
    const run = {
      abort,
      finished: false,
      done: this.supervise(abort.signal)
        .catch((error: unknown) => {
          if (abort.signal.aborted) return;
          this.note(
            `supervisor error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
          );
          this.fail(`the ${this.engineName} supervisor stopped unexpectedly: ${errorMessage(error)}`);
        })
        .finally(() => {
          run.finished = true;
        }),
    };
    this.#run = run;
  }

  async stop(): Promise<void> {
    const run = this.#run;
    if (!run) return;
    run.abort.abort(new DOMException('the engine was stopped', 'AbortError'));
    await run.done;
    this.#run = null;
    this.setState({ status: 'stopped' });
  }

  abstract chat(request: ChatRequest, options?: ChatOptions): ChatStream;

  /** The supervision loop; returns when stopped or failed. Must end promptly once `signal` aborts. */
  protected abstract supervise(signal: AbortSignal): Promise<void>;

  protected setState(state: EngineState): void {
    if (JSON.stringify(state) === JSON.stringify(this.#state)) return;
    this.#state = state;
    this.safeDispatchEvent('state', { detail: state });
  }

  protected fail(reason: string): void {
    this.note(`failed: ${reason}`);
    this.setState({ status: 'failed', reason, lastLogLines: this.#output.lines() });
  }

  /** A line from the supervisor itself (not the engine process). */
  protected note(text: string): void {
    this.#record({ source: 'supervisor', text, time: Date.now() });
  }

  /** The engine is serving: the next crash restarts after the shortest delay again. */
  protected markHealthy(): void {
    this.#backoff?.recordHealthy();
  }

  /** Runs `runOnce` until stopped, restarting after crashes with backoff; a crash loop ends in `failed`. */
  protected async superviseRestarts(
    signal: AbortSignal,
    runOnce: (signal: AbortSignal) => Promise<RunOutcome>,
  ): Promise<void> {
    const backoff = new RestartBackoff(this.#restart);
    this.#backoff = backoff;
    while (!signal.aborted) {
      const outcome = await runOnce(signal);
      if (signal.aborted || outcome.kind === 'stopped') return;
      if (outcome.kind === 'failed') {
        this.fail(outcome.reason);
        return;
      }
      const decision = backoff.recordCrash();
      if (!decision.restart) {
        this.fail(
          `${this.engineName} crashed ${decision.crashes} times in a row without becoming ready; ` +
            `the last time it ${outcome.why}`,
        );
        return;
      }
      this.note(`${this.engineName} ${outcome.why}; restart ${decision.attempt} in ${decision.delayMs} ms`);
      this.setState({ status: 'starting', detail: `restarting: ${this.engineName} ${outcome.why}` });
      try {
        await sleep(decision.delayMs, undefined, { signal });
      } catch {
        return;
      }
    }
  }

  /**
   * Serves through an engine someone else runs: repeats `runOnce` until stopped; when the engine stops
   * answering, waits for it to come back (it is not ours to restart), and fails only on a start error.
   */
  protected async superviseExternal(
    signal: AbortSignal,
    waitingDetail: string,
    runOnce: (signal: AbortSignal) => Promise<RunOutcome>,
  ): Promise<void> {
    while (!signal.aborted) {
      let outcome: RunOutcome;
      try {
        outcome = await runOnce(signal);
      } catch (error) {
        if (signal.aborted) return;
        outcome =
          error instanceof EngineStartError
            ? { kind: 'failed', reason: error.message }
            : { kind: 'crashed', why: errorMessage(error) };
      }
      if (outcome.kind === 'stopped') return;
      if (outcome.kind === 'failed') {
        this.fail(outcome.reason);
        return;
      }
      this.note(`${this.engineName} ${outcome.why}; waiting for it to come back`);
      this.setState({ status: 'starting', detail: waitingDetail });
    }
  }

  /**
   * Starts `command` for one run and calls `body` with a signal that aborts when the process exits or the
   * engine stops. However `body` ends, the process is stopped (SIGTERM, grace, SIGKILL of its group).
   */
  protected withProcess(
    command: ProcessCommand,
    signal: AbortSignal,
    body: (life: AbortSignal, process: ManagedProcess) => Promise<RunOutcome>,
  ): Promise<RunOutcome> {
    return this.withStartedProcess(
      {
        description: `${command.command} ${command.args.join(' ')}`,
        start: (onLine) => new ManagedProcess({ ...command, onLine }),
      },
      signal,
      body,
    );
  }

  /** `withProcess` for a process something else starts (the built-in engine's host launcher). */
  protected async withStartedProcess<P extends SupervisedProcess>(
    starter: ProcessStart<P>,
    signal: AbortSignal,
    body: (life: AbortSignal, process: P) => Promise<RunOutcome>,
  ): Promise<RunOutcome> {
    let process: P;
    try {
      process = starter.start((line) => this.#record(line, true));
    } catch (error) {
      return { kind: 'failed', reason: `${this.engineName} could not be started: ${errorMessage(error)}` };
    }
    this.#process = process;
    this.note(`started ${starter.description} (pid ${process.pid ?? 'not known yet'})`);
    const life = new AbortController();
    const onStop = () => life.abort(signal.reason);
    signal.addEventListener('abort', onStop, { once: true });
    void process.exited.then((exit) => life.abort(new Error(`${this.engineName} ${describeExit(exit)}`)));
    try {
      return await body(life.signal, process);
    } catch (error) {
      if (signal.aborted) return { kind: 'stopped' };
      // A request that failed because the process died is explained by the exit, not the socket error.
      await Promise.race([process.exited, sleep(EXIT_SETTLE_MS)]);
      if (!process.running) return { kind: 'crashed', why: describeExit(await process.exited) };
      if (error instanceof EngineStartError) return { kind: 'failed', reason: error.message };
      return { kind: 'crashed', why: errorMessage(error) };
    } finally {
      signal.removeEventListener('abort', onStop);
      if (process.running) {
        this.note(`stopping pid ${process.pid ?? '?'} (SIGTERM, SIGKILL after ${this.stopGraceMs} ms)`);
        const exit = await process.stop(this.stopGraceMs);
        this.note(`${this.engineName} ${describeExit(exit)}`);
      } else {
        this.note(`${this.engineName} ${describeExit(await process.exited)}`);
      }
      if (this.#process === process) this.#process = null;
    }
  }

  #record(line: EngineLogLine, fromProcess = false): void {
    this.#log.push(line.source === 'supervisor' ? `[opengateway] ${line.text}` : line.text);
    if (fromProcess) this.#output.push(line.text);
    this.safeDispatchEvent('log', { detail: line });
  }
}

export function errorMessage(error: unknown): string {
  if (isExpectedError(error)) return error.message;
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause;
    return cause instanceof Error ? `${error.message} (${cause.message})` : error.message;
  }
  return String(error);
}
