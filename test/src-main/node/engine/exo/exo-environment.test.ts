// What an EXO process inherits (finding 27): a real child process through the real supervisor, started by
// a wrapper `exo` that records its environment and then runs the EXO double.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExoEngine } from '../../../../../src-main/node/engine/exo/exo-engine.ts';
import { exoBaseEnvironment } from '../../../../../src-main/node/engine/exo/exo-environment.ts';
import { freeLoopbackPort } from '../../../../../src-main/node/net/free-loopback-port.ts';
import {
  EXO_LAUNCHER,
  SMALL_MODEL,
  removeTemporaryDirs,
  temporaryDir,
  waitForStatus,
} from '../engine-test-kit.ts';

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  delete process.env.OG_TEST_API_SECRET;
  removeTemporaryDirs();
});

describe('the environment EXO runs with', () => {
  it('keeps what EXO needs and drops everything else', () => {
    const env = exoBaseEnvironment({
      PATH: '/usr/bin',
      HOME: '/home/a',
      HF_TOKEN: 't',
      AWS_SECRET_ACCESS_KEY: 'k',
    });
    expect(env).toEqual({ PATH: '/usr/bin', HOME: '/home/a', HF_TOKEN: 't' });
  });

  it('gives a spawned EXO none of the node’s secrets (finding 27)', async () => {
    process.env.OG_TEST_API_SECRET = 'do-not-leak';
    const dir = temporaryDir();
    const record = join(dir, 'exo-env.txt');
    const wrapper = join(dir, 'exo');
    writeFileSync(
      wrapper,
      `#!/bin/sh\nenv > '${record}'\nEXO_DOUBLE_NODE='${process.execPath}' EXO_DOUBLE_LOAD_STEP_MS=5 EXO_DOUBLE_EXIT_WITH_PARENT=true exec '${EXO_LAUNCHER}' "$@"\n`,
      { mode: 0o755 },
    );
    const engine = new ExoEngine({
      modelId: SMALL_MODEL,
      exoPath: wrapper,
      exoHome: join(dir, 'home'),
      apiPort: await freeLoopbackPort(),
      namespace: 'og-test-env',
      attach: 'never',
      stopGraceMs: 2_000,
      pollIntervalMs: 50,
      startupTimeoutMs: 10_000,
      placementTimeoutMs: 2_000,
    });
    stops.push(() => engine.stop());
    await engine.start();
    await waitForStatus(engine, 'ready');
    const seen = readFileSync(record, 'utf8');
    expect(seen).toMatch(/^PATH=/m);
    expect(seen).toMatch(/^EXO_HOME=/m);
    expect(seen).not.toContain('OG_TEST_API_SECRET');
    expect(seen).not.toContain('do-not-leak');
  }, 30_000);
});
