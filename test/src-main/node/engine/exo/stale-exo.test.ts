// An EXO left running by a node that was killed is stopped before this cluster's EXO starts again.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExoEngine } from '../../../../../src-main/node/engine/exo/exo-engine.ts';
import { recordSupervisedExo } from '../../../../../src-main/node/engine/exo/stale-exo.ts';
import {
  DOUBLE_SCRIPT,
  isAlive,
  liveGroupMembers,
  removeTemporaryDirs,
  spawnedExoEngine,
  temporaryDir,
  waitForStatus,
} from '../engine-test-kit.ts';
import { freeLoopbackPort } from '../../../../../src-main/node/net/free-loopback-port.ts';

let engine: ExoEngine | null = null;
afterEach(async () => {
  await engine?.stop();
  engine = null;
  removeTemporaryDirs();
});

describe('an EXO left running by an earlier run of the node', () => {
  it('is stopped, with its whole group, before the engine starts EXO on the same home and port', async () => {
    const home = join(temporaryDir(), 'exo');
    const port = await freeLoopbackPort();
    // What a killed node leaves behind: EXO in its own process group, with a runner, ignoring SIGTERM,
    // holding the port and the home's PID lock.
    const orphan = spawn(process.execPath, [DOUBLE_SCRIPT, '--api-port', String(port), '--double-hang'], {
      detached: true,
      stdio: 'ignore',
      env: { ...process.env, EXO_HOME: home },
    });
    orphan.unref();
    const pgid = orphan.pid!;
    for (let i = 0; i < 200; i += 1) {
      if (
        await fetch(`http://127.0.0.1:${port}/node_id`).then(
          (response) => response.ok,
          () => false,
        )
      )
        break;
      await new Promise((done) => setTimeout(done, 25));
    }
    expect(liveGroupMembers(pgid).length).toBe(2);
    await recordSupervisedExo(home, pgid);

    engine = await spawnedExoEngine({ init: { exoHome: home, apiPort: port, stopGraceMs: 500 } });
    await engine.start();
    await waitForStatus(engine, 'ready');
    expect(isAlive(pgid)).toBe(false);
    expect(liveGroupMembers(pgid)).toEqual([]);
    expect(engine.recentLog.some((line) => line.includes(`stopped EXO (pid ${pgid}) left running`))).toBe(
      true,
    );
  });

  it('is left alone when the recorded process id now belongs to another process', async () => {
    const home = join(temporaryDir(), 'exo');
    // This test process: alive, but not started at the recorded time.
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(home, { recursive: true });
    writeFileSync(
      join(home, 'opengateway-exo.json'),
      JSON.stringify({ pid: process.pid, startedAt: 'Thu Jan  1 00:00:00 1970' }),
    );
    engine = await spawnedExoEngine({ init: { exoHome: home } });
    await engine.start();
    await waitForStatus(engine, 'ready');
    expect(engine.recentLog.some((line) => line.includes('left running'))).toBe(false);
  });
});
