// One node of the chaos run: a real `opengateway-node start` process inside its own network namespace, its
// local API reached through a Unix-socket forwarder (api-forward.ts) in the same namespace. The run kills it
// (SIGKILL to its process group: the node and its engine, as a crash or power cut), freezes it (SIGSTOP:
// a hang), thaws and restarts it with the same data folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { locationsFor } from '../../src-main/node/locations.ts';

const ROOT = resolve(import.meta.dirname, '..', '..');
const BIN = join(ROOT, 'src-main', 'cli', 'bin.ts');
const FORWARD = join(import.meta.dirname, 'api-forward.ts');
/** Every namespace has its own loopback: the same port in each. */
export const CHAOS_API_PORT = 8080;

export type ChaosNodeState = 'running' | 'frozen' | 'down';

export interface ChaosNodeInit {
  readonly name: string;
  readonly namespace: string;
  readonly dataDir: string;
  readonly peerId: string;
  readonly socketPath: string;
  /** Arguments after `start` (data dir and API port are added). */
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** A request to the node's API that could not be made or answered (the node is down, frozen or slow). */
export class ChaosApiError extends Error {
  override name = 'ChaosApiError';
}

export class ChaosNode {
  readonly init: ChaosNodeInit;
  #process: ChildProcess | null = null;
  #forwarder: ChildProcess | null = null;
  #state: ChaosNodeState = 'down';
  #key: string | null = null;
  output = '';
  starts = 0;

  constructor(init: ChaosNodeInit) {
    this.init = init;
  }

  get name(): string {
    return this.init.name;
  }

  get state(): ChaosNodeState {
    return this.#state;
  }

  get pid(): number | null {
    return this.#process?.pid ?? null;
  }

  /** Starts the node; a node already running (or frozen) is left as it is, never started twice. */
  async start(): Promise<void> {
    if (this.#process !== null) return;
    if (this.#forwarder === null) await this.#startForwarder();
    const child = spawn(
      'ip',
      [
        'netns', 'exec', this.init.namespace,
        process.execPath, '--disable-warning=ExperimentalWarning', BIN, 'start',
        '--data-dir', this.init.dataDir, '--api-port', String(CHAOS_API_PORT), ...this.init.args,
      ], // prettier-ignore
      // Its own process group: a kill reaches the engine the node started too. `ip netns exec` execs the
      // node in place, so the child's pid is the node's.
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...this.init.env } },
    );
    // The whole output also goes to `<data dir>.log` beside the data folder (kept with --keep).
    const log = createWriteStream(`${this.init.dataDir}.log`, { flags: 'a' });
    log.on('error', () => {});
    child.once('close', () => log.end());
    const keep = (chunk: Buffer) => {
      log.write(chunk);
      this.output = (this.output + chunk.toString()).slice(-40_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => {
      if (this.#process === child) {
        this.#process = null;
        this.#state = 'down';
      }
    });
    this.#process = child;
    this.#state = 'running';
    this.starts += 1;
  }

  async #startForwarder(): Promise<void> {
    const child = spawn(
      'ip',
      [
        'netns',
        'exec',
        this.init.namespace,
        process.execPath,
        FORWARD,
        this.init.socketPath,
        String(CHAOS_API_PORT),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    this.#forwarder = child;
    await new Promise<void>((done, fail) => {
      createInterface({ input: child.stdout }).once('line', () => done());
      child.once('exit', (code) => fail(new Error(`the API forwarder of ${this.name} exited with ${code}`)));
    });
  }

  /** SIGKILL to the whole process group; resolves once the node is gone. */
  async kill(): Promise<void> {
    const child = this.#process;
    if (child === null) return;
    const exited = new Promise((done) => child.once('exit', done));
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
    await exited;
  }

  freeze(): void {
    if (this.#process === null) return;
    process.kill(this.#process.pid!, 'SIGSTOP');
    this.#state = 'frozen';
  }

  thaw(): void {
    if (this.#process === null) return;
    process.kill(this.#process.pid!, 'SIGCONT');
    this.#state = 'running';
  }

  /** SIGTERM (a clean stop), SIGKILL to the group after `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    const child = this.#process;
    if (child !== null) {
      if (this.#state === 'frozen') this.thaw();
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // Exited meanwhile.
        }
      }, graceMs);
      await exited;
      clearTimeout(timer);
      try {
        // Whatever the node left running in its group (an engine).
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Nothing left.
      }
    }
  }

  async stopForwarder(): Promise<void> {
    const forwarder = this.#forwarder;
    this.#forwarder = null;
    if (forwarder === null || forwarder.exitCode !== null) return;
    const exited = new Promise((done) => forwarder.once('exit', done));
    forwarder.kill('SIGTERM');
    await exited;
  }

  #apiKey(): string {
    this.#key ??= readFileSync(locationsFor(this.init.dataDir).apiKey, 'utf8').trim();
    return this.#key;
  }

  /** A JSON request to the node's API; ChaosApiError when it cannot be made or times out. */
  async api<T>(path: string, timeoutMs = 5_000): Promise<{ status: number; body: T }> {
    let key: string;
    try {
      key = this.#apiKey();
    } catch (error) {
      throw new ChaosApiError(`${this.name} has no API key yet`, { cause: error });
    }
    return new Promise((done, fail) => {
      const req = request(
        {
          socketPath: this.init.socketPath,
          path,
          method: 'GET',
          headers: { authorization: `Bearer ${key}`, host: `127.0.0.1:${CHAOS_API_PORT}` },
          signal: AbortSignal.timeout(timeoutMs),
        },
        (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => {
            try {
              done({ status: response.statusCode ?? 0, body: JSON.parse(text) as T });
            } catch (error) {
              fail(new ChaosApiError(`${this.name} answered ${path} with no JSON`, { cause: error }));
            }
          });
          response.on('error', (error) => fail(new ChaosApiError(error.message, { cause: error })));
        },
      );
      req.on('error', (error) =>
        fail(new ChaosApiError(`${this.name} ${path}: ${error.message}`, { cause: error })),
      );
      req.end();
    });
  }

  /** The bearer key and socket, for streaming requests (chat-stream.ts). */
  endpoint(): { socketPath: string; key: string } {
    return { socketPath: this.init.socketPath, key: this.#apiKey() };
  }
}
