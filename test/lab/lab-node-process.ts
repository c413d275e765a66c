// The lab's side of a lab node: spawns `lab-node.ts` inside a namespace and turns its JSON lines into calls.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { LabConnection, LabNodeOptions, LabStatus } from './lab-protocol.ts';

const SCRIPT = fileURLToPath(new URL('./lab-node.ts', import.meta.url));

interface Pending {
  resolve(value: unknown): void;
  reject(error: Error): void;
}

/** A `connection` line the node printed: when (ms since the node started) and what. */
export interface ConnectionEvent extends LabConnection {
  readonly t: number;
}

export class LabNodeProcess {
  readonly name: string;
  readonly peerId: string;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, Pending>();
  readonly connections: ConnectionEvent[] = [];
  #nextId = 1;
  #stderr = '';

  private constructor(name: string, child: ChildProcess, peerId: string) {
    this.name = name;
    this.#child = child;
    this.peerId = peerId;
  }

  /** Starts a node in `namespace` (the full netns name) and waits until it listens. */
  static async start(name: string, namespace: string, options: LabNodeOptions): Promise<LabNodeProcess> {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        namespace,
        process.execPath,
        '--disable-warning=ExperimentalWarning',
        SCRIPT,
        JSON.stringify(options),
      ],
      { stdio: ['pipe', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
    const lines = createInterface({ input: child.stdout });
    let node: LabNodeProcess | null = null;
    const early: string[] = [];
    const ready = new Promise<string>((resolve, reject) => {
      lines.on('line', (line) => {
        if (node === null) {
          const parsed = safeParse(line);
          if (parsed?.event === 'ready') resolve(String(parsed.peerId));
          else early.push(line);
          return;
        }
        node.#onLine(line);
      });
      child.once('exit', (code) => reject(new Error(`lab node ${name} exited with ${code}: ${stderr}`)));
    });
    // Generous: seven engineers' tests share two cores, and a start can take long under that load.
    const timeout = setTimeout(() => child.kill('SIGKILL'), 90_000);
    try {
      const peerId = await ready;
      node = new LabNodeProcess(name, child, peerId);
      node.#stderr = stderr;
      child.stderr?.on('data', (chunk: Buffer) => {
        if (node !== null) node.#stderr = (node.#stderr + chunk.toString()).slice(-20_000);
      });
      for (const line of early) node.#onLine(line);
      const started = node;
      child.once('exit', () => {
        for (const pending of started.#pending.values()) pending.reject(new Error(`${name} exited`));
      });
      return node;
    } finally {
      clearTimeout(timeout);
    }
  }

  #onLine(line: string): void {
    const parsed = safeParse(line);
    if (parsed === null) return;
    if (parsed.event === 'connection') {
      this.connections.push(parsed as unknown as ConnectionEvent);
      return;
    }
    const pending = typeof parsed.id === 'number' ? this.#pending.get(parsed.id) : undefined;
    if (pending === undefined) return;
    this.#pending.delete(parsed.id as number);
    if (parsed.ok === true) pending.resolve(parsed.result);
    else pending.reject(new Error(`${this.name}: ${String(parsed.error)}`));
  }

  #call<T>(command: Record<string, unknown>): Promise<T> {
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve, reject });
      this.#child.stdin?.write(`${JSON.stringify({ id, ...command })}\n`);
    });
  }

  status(): Promise<LabStatus> {
    return this.#call({ cmd: 'status' });
  }

  dial(address: string): Promise<LabConnection> {
    return this.#call({ cmd: 'dial', address });
  }

  echo(peer: string, bytes: number): Promise<{ received: number; ms: number; relayed: boolean }> {
    return this.#call({ cmd: 'echo', peer, bytes });
  }

  /** Closes every connection to `peer` (a fresh start for the next measurement). */
  hangUp(peer: string): Promise<string> {
    return this.#call({ cmd: 'hangUp', peer });
  }

  members(): Promise<string[]> {
    return this.#call({ cmd: 'members' });
  }

  stderr(): string {
    return this.#stderr;
  }

  /** Asks the node to stop; kills it when it does not exit in time. */
  async stop(): Promise<void> {
    if (this.#child.exitCode !== null || this.#child.signalCode !== null) return;
    const exited = new Promise((resolve) => this.#child.once('exit', resolve));
    this.#call({ cmd: 'stop' }).catch(() => undefined);
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }
}

function safeParse(line: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
