// An engine process the node started: its own process group (so the runners it spawns die with it), output
// read line by line with ANSI colour codes stripped, and a stop that escalates SIGTERM → grace → SIGKILL.
import { spawn, type ChildProcess } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { stripVTControlCharacters } from 'node:util';
import type { Duplex } from 'node:stream';
import type { EngineLogLine } from './engine.ts';
import { MAX_LOG_LINE_CHARS } from './log-ring.ts';

export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all (ENOENT, EACCES). */
  readonly spawnError?: string;
}

export interface ManagedProcessInit {
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env: NodeJS.ProcessEnv;
  readonly onLine: (line: EngineLogLine) => void;
  /** Opens a pipe on the child's fd 3 for messages (the built-in engine's host); stdout/stderr stay the log. */
  readonly channel?: boolean;
}

/** "exited with code 1", "was killed by SIGKILL", "could not start: …". */
export function describeExit(exit: ProcessExit): string {
  if (exit.spawnError) return `could not start: ${exit.spawnError}`;
  if (exit.signal) return `was killed by ${exit.signal}`;
  return `exited with code ${exit.code}`;
}

export class ManagedProcess {
  readonly #child: ChildProcess;
  readonly #exited: Promise<ProcessExit>;
  #exit: ProcessExit | null = null;

  constructor(init: ManagedProcessInit) {
    let resolve: (exit: ProcessExit) => void = () => {};
    this.#exited = new Promise((done) => {
      resolve = done;
    });
    this.#child = spawn(init.command, [...init.args], {
      cwd: init.cwd,
      env: init.env,
      // A new process group (setsid) on POSIX: one signal reaches EXO and every runner it spawned.
      detached: process.platform !== 'win32',
      stdio: init.channel ? ['ignore', 'pipe', 'pipe', 'pipe'] : ['ignore', 'pipe', 'pipe'],
      windowsHide: true,
    });
    const finish = (exit: ProcessExit) => {
      if (this.#exit) return;
      this.#exit = exit;
      // The leader is gone; anything left in its group is an orphaned runner holding memory.
      this.#signalGroup('SIGKILL');
      resolve(exit);
    };
    this.#child.once('error', (error: NodeJS.ErrnoException) => {
      if (this.#child.pid === undefined) finish({ code: null, signal: null, spawnError: error.message });
    });
    this.#child.once('exit', (code, signal) => finish({ code, signal }));
    readLines(this.#child.stdout, (text) => init.onLine({ source: 'stdout', text, time: Date.now() }));
    readLines(this.#child.stderr, (text) => init.onLine({ source: 'stderr', text, time: Date.now() }));
  }

  /** The process (and group) id; undefined when it could not be started. */
  get pid(): number | undefined {
    return this.#child.pid;
  }

  /** The fd 3 pipe, when the process was started with a channel. */
  get channel(): Duplex | null {
    return (this.#child.stdio[3] as Duplex | null | undefined) ?? null;
  }

  get running(): boolean {
    return this.#exit === null;
  }

  /** Resolves once the process has exited (never rejects). */
  get exited(): Promise<ProcessExit> {
    return this.#exited;
  }

  /** SIGTERM to the group, then SIGKILL to the group if the process has not exited after `graceMs`. */
  async stop(graceMs: number): Promise<ProcessExit> {
    if (this.#exit) return this.#exit;
    this.#signalGroup('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => {
      timer = setTimeout(() => resolve('grace-over'), graceMs);
    });
    const first = await Promise.race([this.#exited, graceOver]);
    clearTimeout(timer);
    if (first === 'grace-over') this.#signalGroup('SIGKILL');
    return this.#exited;
  }

  #signalGroup(signal: NodeJS.Signals): void {
    const pid = this.#child.pid;
    if (pid === undefined) return;
    try {
      if (process.platform === 'win32') this.#child.kill(signal);
      else process.kill(-pid, signal);
    } catch (error) {
      // ESRCH: the whole group is already gone.
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  }
}

/** Calls `onLine` for each line of `stream`, decoded as UTF-8, stripped of ANSI codes, cut to a bounded length. */
export function readLines(stream: NodeJS.ReadableStream | null, onLine: (text: string) => void): void {
  if (!stream) return;
  const decoder = new StringDecoder('utf8');
  let pending = '';
  const emit = (raw: string) => {
    const text = stripVTControlCharacters(raw.endsWith('\r') ? raw.slice(0, -1) : raw);
    onLine(text.length > MAX_LOG_LINE_CHARS ? `${text.slice(0, MAX_LOG_LINE_CHARS)}…` : text);
  };
  stream.on('data', (chunk: Buffer | string) => {
    pending += typeof chunk === 'string' ? chunk : decoder.write(chunk);
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      emit(pending.slice(0, newline));
      pending = pending.slice(newline + 1);
      newline = pending.indexOf('\n');
    }
    // A line that never ends is flushed in pieces rather than held without bound.
    if (pending.length > MAX_LOG_LINE_CHARS) {
      emit(pending);
      pending = '';
    }
  });
  stream.on('end', () => {
    pending += decoder.end();
    if (pending !== '') emit(pending);
  });
}
