// The process-level last resort (issue 18 item 1), in a real child process: a stray rejection and an uncaught
// exception are logged with their stacks, and the process keeps running (without the handlers, Node 22 exits).
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CHILD = join(import.meta.dirname, 'last-resort-child.ts');

function run(): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CHILD], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('the last-resort handlers', { timeout: 30_000 }, () => {
  it('log a stray rejection and an uncaught exception, and the process keeps serving', async () => {
    const { code, stdout, stderr } = await run();
    expect(stdout).toBe('still serving\n');
    expect(code).toBe(0);
    expect(stderr).toMatch(/bug: a promise failed and nothing handled it .*a promise nobody awaited/);
    expect(stderr).toMatch(/bug: an exception reached the top of the process .*an exception out of a timer/);
  });
});
