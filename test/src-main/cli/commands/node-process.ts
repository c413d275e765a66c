// A long-running `opengateway-node start` child process for CLI tests: waits for log lines, sends signals.
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable } from 'node:stream';
import { BIN } from '../run-cli-process.ts';

export class NodeProcess {
  readonly child: ChildProcessByStdio<null, Readable, Readable>;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[]) {
    this.child = spawn(process.execPath, [BIN, 'start', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => (this.stdout += chunk));
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => (this.stderr += chunk));
    this.exited = new Promise((resolve) => this.child.once('close', (code) => resolve(code)));
  }

  /** Resolves when stdout matches; rejects if the process exits first or after timeoutMs. */
  async waitForOutput(pattern: RegExp, timeoutMs = 60_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(this.stdout);
      if (match) return match;
      if (this.child.exitCode !== null)
        throw new Error(
          `node exited (${this.child.exitCode}) before ${pattern}: ${this.stdout}${this.stderr}`,
        );
      if (Date.now() > deadline)
        throw new Error(`timed out waiting for ${pattern}; output so far:\n${this.stdout}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** SIGINT and wait for the exit code. */
  async interrupt(): Promise<number | null> {
    if (this.child.exitCode === null) this.child.kill('SIGINT');
    return this.exited;
  }

  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
