// A llama.cpp host process whose channel is messages rather than a pipe: Electron's utilityProcess, described
// here by shape so the node never imports Electron (the desktop app forks it: src-main/app/utility-host-launcher.ts).
// Frames travel as Uint8Array messages (the host reads them from process.parentPort), stdout and stderr are its
// log, and a stop is the child's own kill (SIGTERM), then SIGKILL to its pid after the grace.
import type { HostLaunch, HostProcess } from './host-launcher.ts';
import { MessageDuplex } from './message-duplex.ts';
import { readLines, type ProcessExit } from '../managed-process.ts';

/** What the host needs of a forked child with a message port (Electron's UtilityProcess has this shape). */
export interface PortedChild {
  /** Undefined until the process has spawned, and after it exited. */
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: unknown): void;
  kill(): boolean;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  on(event: 'error', listener: (type: string, location: string) => void): unknown;
  once(event: 'spawn', listener: () => void): unknown;
  /** One number: the exit code, or what the platform reports for a process ended by a signal. */
  once(event: 'exit', listener: (code: number) => void): unknown;
}

export function portedHost(child: PortedChild, onLine: HostLaunch['onLine']): HostProcess {
  return new PortedHost(child, onLine);
}

class PortedHost implements HostProcess {
  readonly channel: MessageDuplex;
  readonly exited: Promise<ProcessExit>;
  readonly #child: PortedChild;
  #pid: number | undefined;
  #exit: ProcessExit | null = null;

  constructor(child: PortedChild, onLine: HostLaunch['onLine']) {
    this.#child = child;
    this.#pid = child.pid;
    this.channel = new MessageDuplex((bytes) => child.postMessage(bytes));
    child.on('message', (message) => this.channel.receive(message));
    child.once('spawn', () => {
      this.#pid = child.pid;
    });
    // A fatal V8 error: Electron emits 'exit' afterwards; where it happened is worth a log line.
    child.on('error', (type, location) =>
      onLine({ source: 'stderr', text: `${type} at ${location}`, time: Date.now() }),
    );
    this.exited = new Promise((resolve) => {
      child.once('exit', (code) => {
        // No signal name to be had: the engine explains the exit with the number.
        this.#exit = { code, signal: null };
        this.channel.finish();
        resolve(this.#exit);
      });
    });
    readLines(child.stdout, (text) => onLine({ source: 'stdout', text, time: Date.now() }));
    readLines(child.stderr, (text) => onLine({ source: 'stderr', text, time: Date.now() }));
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  get running(): boolean {
    return this.#exit === null;
  }

  async stop(graceMs: number): Promise<ProcessExit> {
    if (this.#exit) return this.#exit;
    this.#child.kill();
    let timer: NodeJS.Timeout | undefined;
    const graceOver = new Promise<'grace-over'>((resolve) => {
      timer = setTimeout(() => resolve('grace-over'), graceMs);
    });
    const first = await Promise.race([this.exited, graceOver]);
    clearTimeout(timer);
    if (first === 'grace-over' && this.#pid !== undefined) {
      try {
        process.kill(this.#pid, 'SIGKILL');
      } catch (error) {
        // ESRCH: it ended in the meantime.
        if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
      }
    }
    return this.exited;
  }
}
