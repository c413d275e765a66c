// The EXO engine's other set-ups: attaching to an EXO that already runs, the EXO generations it meets in the
// field, and a machine without EXO.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ExoEngine } from '../../../../../src-main/node/engine/exo/exo-engine.ts';
import {
  collect,
  EXO_LAUNCHER,
  liveGroupMembers,
  removeTemporaryDirs,
  SMALL_MODEL,
  spawnedExoEngine,
  startDouble,
  temporaryDir,
  waitForStatus,
  type RunningDouble,
} from '../engine-test-kit.ts';
import { freeLoopbackPort } from '../../../../../src-main/node/net/free-loopback-port.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  removeTemporaryDirs();
});

async function running(args: string[] = []): Promise<RunningDouble> {
  const double = await startDouble(['--double-token-rate', '0', '--double-load-step-ms', '5', ...args]);
  cleanups.push(() => double.stop());
  return double;
}

function attachedEngine(
  port: number,
  init: Partial<ConstructorParameters<typeof ExoEngine>[0]> = {},
): ExoEngine {
  const engine = new ExoEngine({
    modelId: SMALL_MODEL,
    apiPort: port,
    pollIntervalMs: 50,
    livenessIntervalMs: 100,
    livenessTimeoutMs: 500,
    instanceCheckIntervalMs: 200,
    // Nothing to find or spawn: attaching must not depend on an installed EXO.
    exoPath: '/nonexistent/exo',
    ...init,
  });
  cleanups.push(() => engine.stop());
  return engine;
}

describe('ExoEngine attaching to a running EXO', () => {
  it('uses an instance that already serves the model and leaves it in place on stop', async () => {
    const double = await running(['--double-preplace', SMALL_MODEL]);
    const engine = attachedEngine(double.port);
    await engine.start();
    await waitForStatus(engine, 'ready');
    expect(engine.attached).toBe(true);
    expect(engine.pid).toBeNull();
    const chunks = await collect(
      engine.chat({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 3 }),
    );
    expect(chunks.at(-1)).toMatchObject({ type: 'usage', usage: { completionTokens: 3 } });
    await engine.stop();
    const state = (await (await fetch(`${double.url}/state`)).json()) as { instances: object };
    expect(Object.keys(state.instances)).toHaveLength(1);
    expect(double.process.exitCode).toBeNull();
  });

  it('places the model itself when needed, and removes that instance on stop', async () => {
    const double = await running();
    const engine = attachedEngine(double.port);
    await engine.start();
    await waitForStatus(engine, 'ready');
    await engine.stop();
    const state = (await (await fetch(`${double.url}/state`)).json()) as { instances: object };
    expect(Object.keys(state.instances)).toHaveLength(0);
  });

  it('waits for an attached EXO that goes away instead of failing, and serves again when it is back', async () => {
    const double = await running(['--double-preplace', SMALL_MODEL]);
    const engine = attachedEngine(double.port, { attach: 'only' });
    await engine.start();
    await waitForStatus(engine, 'ready');
    await double.stop();
    const waiting = await waitForStatus(engine, 'starting');
    expect(waiting.detail).toMatch(/waiting for EXO/);
    expect(() => engine.chat({ messages: [{ role: 'user', content: 'hello' }] })).toThrow(/not ready/);
    // The EXO app restarts its EXO on the same port, with a new node id and a fresh instance.
    const again = await startDouble(['--double-preplace', SMALL_MODEL, '--double-load-step-ms', '5'], {
      port: double.port,
    });
    cleanups.push(() => again.stop());
    await waitForStatus(engine, 'ready');
    const chunks = await collect(
      engine.chat({ messages: [{ role: 'user', content: 'hello' }], max_tokens: 2 }),
    );
    expect(chunks.at(-1)).toMatchObject({ type: 'usage' });
  });

  it('refuses the pre-rewrite exo with a clear message', async () => {
    const legacy = await startDouble(['--double-generation', 'legacy'], {
      portFlag: '--chatgpt-api-port',
      readyPath: '/healthcheck',
    });
    cleanups.push(() => legacy.stop());
    const engine = attachedEngine(legacy.port);
    await engine.start();
    const failed = await waitForStatus(engine, 'failed');
    expect(failed.reason).toMatch(/exo 0\.0\.x .*install EXO v1\.0\.60 or newer/);
  });
});

describe('ExoEngine and the EXO generations', () => {
  it('launches v1.0.69–v1.0.71 with its own flags and the namespace in EXO_LIBP2P_NAMESPACE', async () => {
    const engine = await spawnedExoEngine({ double: { generation: 'libp2p' } });
    cleanups.push(() => engine.stop());
    await engine.start();
    await waitForStatus(engine, 'ready');
    expect(engine.installation?.generation).toBe('libp2p');
    expect(engine.recentLog.some((line) => line.includes('Using libp2p namespace og-test-model-a'))).toBe(
      true,
    );
  });

  it('gives the zenoh generation --namespace and never the variables that are fatal to it', async () => {
    // An inherited EXO_LIBP2P_NAMESPACE makes HEAD exit 1 at start-up; the supervisor must drop it.
    const engine = await spawnedExoEngine({
      env: { EXO_LIBP2P_NAMESPACE: 'stale', EXO_BOOTSTRAP_PEERS: '/ip4/1.2.3.4/tcp/1' },
    });
    cleanups.push(() => engine.stop());
    await engine.start();
    await waitForStatus(engine, 'ready');
    expect(engine.recentLog.some((line) => line.includes('Using namespace og-test-model-a'))).toBe(true);
    expect(engine.recentLog.some((line) => line.includes('EXO_ZENOH_NAMESPACE: og-test-model-a'))).toBe(true);
  });

  it('refuses an EXO whose --help it does not recognise', async () => {
    const dir = temporaryDir();
    const fake = join(dir, 'exo');
    writeFileSync(fake, '#!/bin/sh\necho "usage: something-else [-h] [--port PORT]"\n', { mode: 0o755 });
    const engine = await spawnedExoEngine({ init: { exoPath: fake } });
    cleanups.push(() => engine.stop());
    await engine.start();
    const failed = await waitForStatus(engine, 'failed');
    expect(failed.reason).toMatch(/does not recognise/);
  });

  it('explains an EXO whose --help fails (a source install without its dashboard built)', async () => {
    const dir = temporaryDir();
    const fake = join(dir, 'exo');
    writeFileSync(fake, '#!/bin/sh\necho "FileNotFoundError: dashboard/build/index.html" >&2\nexit 1\n', {
      mode: 0o755,
    });
    const engine = await spawnedExoEngine({ init: { exoPath: fake } });
    cleanups.push(() => engine.stop());
    await engine.start();
    const failed = await waitForStatus(engine, 'failed');
    expect(failed.reason).toMatch(/--help` failed .*dashboard\/build\/index.html/);
  });

  it('runs one EXO per cluster side by side, each in its own home, ports and process group', async () => {
    const a = await spawnedExoEngine({ init: { namespace: 'og-a' } });
    const b = await spawnedExoEngine({ init: { namespace: 'og-b' } });
    cleanups.push(
      () => a.stop(),
      () => b.stop(),
    );
    await Promise.all([a.start(), b.start()]);
    await Promise.all([waitForStatus(a, 'ready'), waitForStatus(b, 'ready')]);
    expect(a.pid).not.toBe(b.pid);
    expect(liveGroupMembers(a.pid!)).not.toContain(b.pid);
    await a.stop();
    expect(b.state.status).toBe('ready');
  });
});

describe('ExoEngine without EXO', () => {
  it('is absent, with how to install EXO, when exo is nowhere to be found', async () => {
    const emptyBin = temporaryDir();
    mkdirSync(join(emptyBin, 'bin'));
    const engine = new ExoEngine({
      modelId: SMALL_MODEL,
      apiPort: await freeLoopbackPort(),
      exoHome: join(emptyBin, 'home'),
      baseEnv: { PATH: join(emptyBin, 'bin') },
      platform: 'linux',
    });
    cleanups.push(() => engine.stop());
    await engine.start();
    const absent = await waitForStatus(engine, 'absent');
    expect(absent.reason).toMatch(/EXO is not installed/);
    expect(absent.install).toMatch(/git clone https:\/\/github.com\/exo-explore\/exo/);
  });

  it('finds exo on PATH', async () => {
    const dir = temporaryDir();
    writeFileSync(join(dir, 'exo'), `#!/bin/sh\nexec '${EXO_LAUNCHER}' "$@"\n`, { mode: 0o755 });
    const engine = await spawnedExoEngine({
      init: { exoPath: undefined },
      env: { PATH: `${dir}:${process.env.PATH ?? ''}` },
    });
    cleanups.push(() => engine.stop());
    await engine.start();
    await waitForStatus(engine, 'ready');
    expect(engine.installation).toMatchObject({ source: 'path', path: join(dir, 'exo') });
  });
});
