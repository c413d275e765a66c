// The launcher's re-execution with the node's memory settings (issue 17 item 4): the decision as a pure
// function, and the real launcher re-executing itself in place (same pid) when started without them.
import { fork, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  memoryRelaunch,
  NODE_MEMORY_ENV,
  NODE_MEMORY_FLAGS,
  RELAUNCHED_ENV,
} from '../../../src-main/cli/node-memory-settings.js';

const LAUNCHER = fileURLToPath(new URL('../../../scripts/opengateway-node.js', import.meta.url));
const base = {
  execPath: '/usr/bin/node',
  execArgv: ['--disable-warning=ExperimentalWarning'],
  argv: ['/usr/bin/node', '/app/scripts/opengateway-node.js', 'start', '--relay'],
  env: { PATH: '/usr/bin' },
  platform: 'linux',
  hasIpcChannel: false,
};

describe('memoryRelaunch', () => {
  it('adds the missing flags and environment, keeping the node flags, script and arguments', () => {
    expect(memoryRelaunch(base)).toEqual({
      file: '/usr/bin/node',
      args: [
        '/usr/bin/node',
        '--disable-warning=ExperimentalWarning',
        ...NODE_MEMORY_FLAGS,
        '/app/scripts/opengateway-node.js',
        'start',
        '--relay',
      ],
      env: { PATH: '/usr/bin', ...NODE_MEMORY_ENV, [RELAUNCHED_ENV]: '1' },
    });
  });

  it('keeps what the user set, on the command line, in NODE_OPTIONS or in the environment', () => {
    const settings = { execArgv: ['--max-semi-space-size=8'], env: { ...NODE_MEMORY_ENV } };
    expect(memoryRelaunch({ ...base, ...settings })).toBeNull();
    const options = { env: { ...NODE_MEMORY_ENV, NODE_OPTIONS: '--max-semi-space-size=4' } };
    expect(memoryRelaunch({ ...base, ...options })).toBeNull();
    const arenas = memoryRelaunch({ ...base, env: { MALLOC_ARENA_MAX: '8' } });
    expect(arenas?.env.MALLOC_ARENA_MAX).toBe('8');
    expect(arenas?.env.MALLOC_TRIM_THRESHOLD_).toBe(NODE_MEMORY_ENV.MALLOC_TRIM_THRESHOLD_);
  });

  it('needs only the flags off Linux, and never re-executes twice or with an IPC channel', () => {
    const mac = memoryRelaunch({ ...base, platform: 'darwin' });
    expect(mac?.args).toContain(NODE_MEMORY_FLAGS[0]);
    expect(mac?.env.MALLOC_ARENA_MAX).toBeUndefined();
    expect(memoryRelaunch({ ...base, platform: 'darwin', execArgv: [...NODE_MEMORY_FLAGS] })).toBeNull();
    expect(memoryRelaunch({ ...base, env: { [RELAUNCHED_ENV]: '1' } })).toBeNull();
    expect(memoryRelaunch({ ...base, hasIpcChannel: true })).toBeNull();
  });
});

// Preloaded into every image of the process: its pid, V8 flags and malloc environment, one line each.
const REPORT = `data:text/javascript,${encodeURIComponent(
  `process.stderr.write('image ' + JSON.stringify({ pid: process.pid, execArgv: process.execArgv, ` +
    `arenas: process.env.MALLOC_ARENA_MAX ?? null, trim: process.env.MALLOC_TRIM_THRESHOLD_ ?? null }) + '\\n');`,
)}`;
interface Image {
  pid: number;
  execArgv: string[];
  arenas: string | null;
  trim: string | null;
}
const imagesIn = (stderr: string) =>
  [...stderr.matchAll(/^image (.+)$/gm)].map((match) => JSON.parse(match[1]!) as Image);
const plainEnv = () => {
  const env: Record<string, string | undefined> = { ...process.env, NODE_OPTIONS: `--import=${REPORT}` };
  for (const name of [...Object.keys(NODE_MEMORY_ENV), RELAUNCHED_ENV]) delete env[name];
  return env;
};

describe('the opengateway-node launcher', { timeout: 120_000 }, () => {
  it.runIf(process.platform === 'linux')(
    'started bare, re-executes itself once in place with the memory settings, then runs the command',
    () => {
      const run = spawnSync(process.execPath, [LAUNCHER, 'network', '--help'], {
        env: plainEnv(),
        encoding: 'utf8',
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toMatch(/network init/);
      const images = imagesIn(run.stderr);
      expect(images).toHaveLength(2);
      const [first, second] = images as [Image, Image];
      expect(first.execArgv).not.toContain(NODE_MEMORY_FLAGS[0]);
      expect(first.arenas).toBeNull();
      expect(second.pid).toBe(first.pid);
      expect(second.execArgv).toEqual(expect.arrayContaining([...NODE_MEMORY_FLAGS]));
      expect(second.arenas).toBe(NODE_MEMORY_ENV.MALLOC_ARENA_MAX);
      expect(second.trim).toBe(NODE_MEMORY_ENV.MALLOC_TRIM_THRESHOLD_);
      expect(run.stderr).not.toMatch(/re-executing failed/);
    },
  );

  it('started with the settings (npm start, the devnet), runs as it is', () => {
    const run = spawnSync(process.execPath, [...NODE_MEMORY_FLAGS, LAUNCHER, 'network', '--help'], {
      env: { ...plainEnv(), ...NODE_MEMORY_ENV },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    expect(imagesIn(run.stderr)).toHaveLength(1);
  });

  it('started with an IPC channel, keeps it and runs as it is', async () => {
    const child = fork(LAUNCHER, ['network', '--help'], {
      env: plainEnv(),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((done) => child.once('exit', done));
    expect(code, stderr).toBe(0);
    expect(imagesIn(stderr)).toHaveLength(1);
  });
});
