// Helpers for the weights acceptance tests and bench: a generated model file with its catalog entry, and
// peers as real child processes (weights-peer-process.ts) whose JSON lines we can wait on.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import { fileCid } from '../../../../src-main/node/weights/file-dag.ts';
import type { AddressedFile } from '../../../../src-main/node/weights/weights-service.ts';
import type { PeerProcessEvent, PeerProcessSpec } from './weights-peer-process.ts';

const PEER_SCRIPT = fileURLToPath(new URL('./weights-peer-process.ts', import.meta.url));

/** Write `sizeBytes` of random bytes to `path` and return its catalog entry (URL filled in by the caller). */
export async function generateModelFile(
  path: string,
  sizeBytes: number,
  urls: readonly string[] = ['http://127.0.0.1:9/none.gguf'],
): Promise<AddressedFile> {
  const hash = createHash('sha256');
  const handle = await open(path, 'w');
  try {
    const piece = 4 * 1024 * 1024;
    for (let at = 0; at < sizeBytes; at += piece) {
      const bytes = randomBytes(Math.min(piece, sizeBytes - at));
      hash.update(bytes);
      await handle.write(bytes);
    }
  } finally {
    await handle.close();
  }
  const name = path.split('/').at(-1)!;
  return { name, urls, sizeBytes, sha256: hash.digest('hex'), cid: await fileCid(path) };
}

/** One peer process and the events it printed. */
export class PeerProcess {
  readonly child: ChildProcess;
  readonly events: PeerProcessEvent[] = [];
  readonly #waiters = new Set<() => void>();
  stderr = '';

  constructor(spec: PeerProcessSpec) {
    // WEIGHTS_PEER_NODE_ARGS: extra Node flags for the peers (profiling: `--cpu-prof --cpu-prof-dir=…`).
    const nodeArgs = (process.env.WEIGHTS_PEER_NODE_ARGS ?? '').split(' ').filter((arg) => arg !== '');
    this.child = spawn(process.execPath, ['--no-warnings', ...nodeArgs, PEER_SCRIPT, JSON.stringify(spec)], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, OPENGATEWAY_LOCAL_ONLY: '1' },
    });
    let buffered = '';
    this.child.stdout!.setEncoding('utf8').on('data', (text: string) => {
      buffered += text;
      for (let newline = buffered.indexOf('\n'); newline >= 0; newline = buffered.indexOf('\n')) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.trim() !== '') this.events.push(JSON.parse(line) as PeerProcessEvent);
      }
      for (const wake of [...this.#waiters]) wake();
    });
    this.child.stderr!.setEncoding('utf8').on('data', (text: string) => {
      this.stderr = (this.stderr + text).slice(-Number(process.env.PEER_STDERR_KEEP ?? 4000));
    });
    this.child.on('exit', () => {
      for (const wake of [...this.#waiters]) wake();
    });
  }

  /** The first event matching `test` (waiting for it), or an error if the process ends first. */
  async waitFor<E extends PeerProcessEvent>(
    test: (event: PeerProcessEvent) => event is E,
    timeoutMs = 120_000,
  ): Promise<E> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(test);
      if (found) return found;
      const failed = this.events.find((event) => event.event === 'error');
      if (failed) throw new Error(`peer failed: ${JSON.stringify(failed)}\n${this.stderr}`);
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`peer exited (${this.child.exitCode ?? this.child.signalCode})\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`timed out waiting; stderr:\n${this.stderr}`);
      await new Promise<void>((resolve) => {
        const wake = () => {
          this.#waiters.delete(wake);
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(wake, 500);
        this.#waiters.add(wake);
      });
    }
  }

  async ready(timeoutMs?: number): Promise<{ peerId: string; addrs: string[] }> {
    return this.waitFor(
      (e): e is Extract<PeerProcessEvent, { event: 'ready' }> => e.event === 'ready',
      timeoutMs,
    );
  }

  async done(timeoutMs?: number): Promise<Extract<PeerProcessEvent, { event: 'done' }>> {
    return this.waitFor(
      (e): e is Extract<PeerProcessEvent, { event: 'done' }> => e.event === 'done',
      timeoutMs,
    );
  }

  /** Bytes on disk at the last progress line (0 before any). */
  receivedBytes(): number {
    const progress = this.events.filter((e) => e.event === 'progress');
    return progress.at(-1)?.receivedBytes ?? 0;
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.once('exit', () => resolve());
      this.child.kill(signal);
    });
  }
}

/** The `/p2p/` address of a ready peer (its first loopback listen address). */
export function dialAddress(ready: { addrs: string[] }): string {
  return ready.addrs[0]!;
}

/** A loopback HTTP server for one file that honours single byte ranges (the origin). */
export async function serveRanges(path: string): Promise<Server> {
  const server = createServer((request, response) => {
    const size = statSync(path).size;
    const match = /^bytes=(\d+)-(\d*)$/.exec(request.headers.range ?? '');
    if (match === null) {
      response.writeHead(200, { 'content-length': size });
      createReadStream(path).pipe(response);
      return;
    }
    const start = Number(match[1]);
    const end = match[2] === '' ? size - 1 : Math.min(size - 1, Number(match[2]));
    if (start > end) {
      response.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    response.writeHead(206, {
      'content-length': end - start + 1,
      'content-range': `bytes ${start}-${end}/${size}`,
    });
    createReadStream(path, { start, end }).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return server;
}
