// child_process.fork for the host when it runs as an Electron utility process. There, fork cannot work: it
// runs the app binary with ELECTRON_RUN_AS_NODE, which the packaged app's RunAsNode fuse ignores (newer Electron
// throws). node-llama-cpp forks once before it loads a prebuilt llama.cpp binary on Linux (and on Windows with a
// GPU), to test the binary in a separate process (testBindingBinary); its fallback for utility processes needs
// `utilityProcess`, which a utility process does not have. This fork runs the module in a worker thread of the
// host instead, with the child side of fork's IPC (process.send, process 'message', process.exit) mapped onto
// the worker's port. The test's isolation is then the host's own: a binary that crashes takes the host down,
// and the node restarts it or reports the crash loop with the host's last lines.
import childProcess from 'node:child_process';
import { EventEmitter } from 'node:events';
import { syncBuiltinESMExports } from 'node:module';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

// The child side of fork's IPC, set up in the worker before the module runs (a CommonJS eval script).
const PRELUDE = `
const { parentPort, workerData } = require('node:worker_threads');
process.send = (message) => { parentPort.postMessage(message); return true; };
parentPort.on('message', (message) => process.emit('message', message));
import(workerData.url).catch((error) => { console.error(error); process.exit(1); });
`;

/** Makes child_process.fork (also for ES modules that imported it by name) run modules in worker threads. */
export function installWorkerFork(): void {
  // The parent side uses send, kill and the events only (testBindingBinary), which WorkerChild has.
  childProcess.fork = workerFork as unknown as typeof childProcess.fork;
  syncBuiltinESMExports();
}

interface ForkOptionsSubset {
  readonly env?: NodeJS.ProcessEnv;
}

function workerFork(
  modulePath: string | URL,
  args?: readonly string[] | ForkOptionsSubset,
  options?: ForkOptionsSubset,
): WorkerChild {
  const argv = Array.isArray(args) ? (args as readonly string[]) : [];
  const opts = (Array.isArray(args) ? options : (args as ForkOptionsSubset | undefined)) ?? {};
  const url = modulePath instanceof URL ? modulePath.href : pathToFileURL(modulePath).href;
  return new WorkerChild(url, argv, opts.env ?? process.env);
}

/** As much of a ChildProcess as a forked module's parent uses: send, kill, 'message', 'exit'. */
export class WorkerChild extends EventEmitter {
  readonly stdin = null;
  readonly stdout = null;
  readonly stderr = null;
  readonly pid = undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  killed = false;
  connected = true;
  readonly #worker: Worker;

  constructor(url: string, argv: readonly string[], env: NodeJS.ProcessEnv) {
    super();
    this.#worker = new Worker(PRELUDE, {
      eval: true,
      argv: [...argv],
      env: { ...env },
      workerData: { url },
    });
    this.#worker.on('online', () => this.emit('spawn'));
    this.#worker.on('message', (message: unknown) => this.emit('message', message));
    // An exception the module did not catch: the worker ends with code 1, as a child process would.
    this.#worker.on('error', (error) => process.stderr.write(`forked worker: ${error.message}\n`));
    this.#worker.on('exit', (code) => {
      this.exitCode = code;
      this.connected = false;
      this.emit('exit', code, null);
      this.emit('close', code, null);
    });
  }

  send(message: unknown): boolean {
    if (!this.connected) return false;
    this.#worker.postMessage(message);
    return true;
  }

  kill(): boolean {
    if (!this.connected) return false;
    this.killed = true;
    void this.#worker.terminate();
    return true;
  }

  disconnect(): void {
    this.kill();
  }
}
