// Shared by the engine tests: the EXO double as a real child process (directly, or as the `exo` command the
// supervisor spawns), free ports, temporary EXO homes, and a look at which processes are left in a group.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Engine, EngineState } from '../../../../src-main/node/engine/engine.ts';
import { waitForEngineState } from '../../../../src-main/node/engine/engine.ts';
import { ExoEngine, type ExoEngineInit } from '../../../../src-main/node/engine/exo/exo-engine.ts';
import { freeLoopbackPort } from '../../../../src-main/node/net/free-loopback-port.ts';

export const DOUBLE_DIR = resolve(import.meta.dirname, '../../../exo-double');
/** The launcher that behaves like the `exo` command. */
export const EXO_LAUNCHER = join(DOUBLE_DIR, 'bin', 'exo');
export const DOUBLE_SCRIPT = join(DOUBLE_DIR, 'exo-double.ts');
export const SMALL_MODEL = 'mlx-community/Llama-3.2-1B-Instruct-4bit';

const temporaryDirs: string[] = [];

export function temporaryDir(prefix = 'og-engine-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporaryDirs.push(dir);
  return dir;
}

export function removeTemporaryDirs(): void {
  for (const dir of temporaryDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** EXO_DOUBLE_* variables from `{ tokenRate: 0, faultStarts: '1' }`. */
export function doubleEnv(options: Record<string, string | number | boolean>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(options).map(([key, value]) => [
      `EXO_DOUBLE_${key.replace(/[A-Z]/g, (letter) => `_${letter}`).toUpperCase()}`,
      String(value),
    ]),
  );
}

export interface SpawnedEngineOptions {
  readonly double?: Record<string, string | number | boolean>;
  readonly init?: Partial<ExoEngineInit>;
  readonly env?: NodeJS.ProcessEnv;
}

/** An EXO engine that spawns the double as `exo`, with short timings suited to tests. */
export async function spawnedExoEngine(options: SpawnedEngineOptions = {}): Promise<ExoEngine> {
  return new ExoEngine({
    modelId: SMALL_MODEL,
    exoPath: EXO_LAUNCHER,
    exoHome: join(temporaryDir('og-exo-home-'), 'exo'),
    apiPort: await freeLoopbackPort(),
    namespace: 'og-test-model-a',
    attach: 'never',
    memoryMb: 8_192,
    // The exposure check stays on loopback: the test double is this machine's only "network address".
    exposureAddresses: () => [],
    baseEnv: {
      ...process.env,
      ...options.env,
      EXO_DOUBLE_NODE: process.execPath,
      ...doubleEnv({ loadStepMs: 5, tokenRate: 0, exitWithParent: true, ...options.double }),
    },
    stopGraceMs: 2_000,
    pollIntervalMs: 50,
    livenessIntervalMs: 100,
    livenessTimeoutMs: 500,
    instanceCheckIntervalMs: 200,
    startupTimeoutMs: 10_000,
    placementTimeoutMs: 2_000,
    restart: { initialDelayMs: 100, maxDelayMs: 400, maxConsecutiveCrashes: 3 },
    ...options.init,
  });
}

/** The EXO double started directly (as the EXO app would be, already running). */
export interface RunningDouble {
  readonly url: string;
  readonly port: number;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export interface StartDoubleOptions {
  readonly env?: NodeJS.ProcessEnv;
  /** Default: a free port. */
  readonly port?: number;
  /** The path that answers once it is up. Default /node_id (the legacy generation has /healthcheck). */
  readonly readyPath?: string;
  /** EXO's port flag. Default --api-port (the legacy generation has --chatgpt-api-port). */
  readonly portFlag?: string;
  /** The loopback address it listens on (default 127.0.0.1; EXO itself binds 0.0.0.0). */
  readonly host?: string;
}

export async function startDouble(
  args: readonly string[] = [],
  options: StartDoubleOptions = {},
): Promise<RunningDouble> {
  const port = options.port ?? (await freeLoopbackPort());
  const child = spawn(
    process.execPath,
    [
      '--disable-warning=ExperimentalWarning',
      DOUBLE_SCRIPT,
      options.portFlag ?? '--api-port',
      String(port),
      '--double-exit-with-parent',
      ...(options.host ? ['--double-host', options.host] : []),
      ...args,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...options.env } },
  );
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`;
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      if ((await fetch(`${url}${options.readyPath ?? '/node_id'}`)).ok) break;
    } catch {
      // not up yet
    }
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the EXO double did not start: ${stderr}`);
    }
    await new Promise((done) => setTimeout(done, 50));
  }
  return {
    url,
    port,
    process: child,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

/** Live (non-zombie) processes whose process group is `pgid`, from /proc (Linux). */
export function liveGroupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue;
    }
    // Fields after the parenthesised command name: state, ppid, pgrp, …
    const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
  }
  return members;
}

export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Every state the engine passes through, recorded from now on. */
export function recordStates(engine: Engine): EngineState[] {
  const states: EngineState[] = [];
  engine.addEventListener('state', (event) => states.push(event.detail));
  return states;
}

export function waitForStatus<S extends EngineState['status']>(
  engine: Engine,
  status: S,
  timeoutMs = 20_000,
): Promise<Extract<EngineState, { status: S }>> {
  return waitForEngineState(
    engine,
    (state): state is Extract<EngineState, { status: S }> => state.status === status,
    { signal: AbortSignal.timeout(timeoutMs) },
  );
}

export async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of iterable) items.push(item);
  return items;
}
