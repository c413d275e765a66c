import { describe, expect, it } from 'vitest';
import type { EngineLogLine } from '../../../../src-main/node/engine/engine.ts';
import { describeExit, ManagedProcess } from '../../../../src-main/node/engine/managed-process.ts';
import { liveGroupMembers } from './engine-test-kit.ts';

function run(script: string) {
  const lines: EngineLogLine[] = [];
  const process_ = new ManagedProcess({
    command: process.execPath,
    args: ['-e', script],
    env: process.env,
    onLine: (line) => lines.push(line),
  });
  return { process: process_, lines };
}

describe('ManagedProcess', () => {
  it('reads stdout and stderr line by line with ANSI codes stripped', async () => {
    const { process: child, lines } = run(
      "process.stderr.write('\\x1b[32m[ 01:02:03 | \\x1b[0m\\x1b[1mINFO    \\x1b[0m ] hello\\npartial'); process.stdout.write('out\\r\\n')",
    );
    expect(await child.exited).toEqual({ code: 0, signal: null });
    await new Promise((done) => setTimeout(done, 20));
    expect(lines.map((line) => `${line.source}:${line.text}`).sort()).toEqual(
      ['stderr:[ 01:02:03 | INFO     ] hello', 'stderr:partial', 'stdout:out'].sort(),
    );
  });

  it('cuts a runaway line to a bounded length', async () => {
    const { process: child, lines } = run("process.stdout.write('y'.repeat(100000) + '\\n')");
    await child.exited;
    await new Promise((done) => setTimeout(done, 20));
    expect(Math.max(...lines.map((line) => line.text.length))).toBeLessThanOrEqual(2_001);
  });

  it('runs in its own process group and SIGKILLs the group when SIGTERM is ignored', async () => {
    const { process: child } = run(
      "process.on('SIGTERM', () => {}); require('node:child_process').spawn(process.execPath, ['-e', \"process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)\"], { stdio: 'ignore' }); setInterval(() => {}, 1000)",
    );
    const pgid = child.pid!;
    for (let i = 0; i < 100 && liveGroupMembers(pgid).length < 2; i += 1)
      await new Promise((done) => setTimeout(done, 20));
    expect(liveGroupMembers(pgid)).toHaveLength(2);
    const exit = await child.stop(300);
    expect(describeExit(exit)).toBe('was killed by SIGKILL');
    // The group's SIGKILL reaches the grandchild at once, but the kernel may take a moment to tear it down.
    for (let i = 0; i < 50 && liveGroupMembers(pgid).length > 0; i += 1)
      await new Promise((done) => setTimeout(done, 20));
    expect(liveGroupMembers(pgid)).toEqual([]);
  });

  it('reports a command that cannot start', async () => {
    const child = new ManagedProcess({
      command: '/nonexistent/exo',
      args: [],
      env: process.env,
      onLine: () => undefined,
    });
    expect(describeExit(await child.exited)).toMatch(/could not start: spawn \/nonexistent\/exo ENOENT/);
  });
});
