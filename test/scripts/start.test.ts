// `npm start` on a machine with no display and no Electron binary (ours), as a user runs it: the real script
// as a child process, in local-only mode. It starts the headless node on the default network, prints the
// dashboard link (the page and the API answer), and a Ctrl-C stops the node cleanly.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { NODE_MEMORY_ENV, NODE_MEMORY_FLAGS } from '../../src-main/cli/runtime-flags.ts';

const SCRIPT = fileURLToPath(new URL('../../scripts/start.ts', import.meta.url));
let root: string;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'og-npm-start-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('npm start without a display', { timeout: 180_000 }, () => {
  it('runs the headless node on the default network, prints its dashboard link, and stops on Ctrl-C', async () => {
    const dataDir = join(root, 'data');
    const env: NodeJS.ProcessEnv = { ...process.env, OPENGATEWAY_LOCAL_ONLY: '1' };
    delete env.DISPLAY;
    delete env.WAYLAND_DISPLAY;
    const child = spawn(process.execPath, [SCRIPT, '--data-dir', dataDir], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

    const link = await new Promise<string>((resolve, reject) => {
      const timer = setInterval(() => {
        const found = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/#key=[0-9a-f]+)/.exec(output)?.[1];
        if (found && /status: looking-for-peers/.test(output)) {
          clearInterval(timer);
          resolve(found);
        }
      }, 100);
      void exited.then((code) => {
        clearInterval(timer);
        reject(new Error(`npm start exited (${code}) early:\n${output}`));
      });
    });
    expect(output).toMatch(/the desktop app cannot start here \(the Electron binary is not downloaded/);
    // The node process is the launcher of the bundled node (scripts/opengateway-node.js), with the memory
    // flags and environment (as the kernel has them).
    const { pid } = JSON.parse(await readFile(join(dataDir, 'api.json'), 'utf8')) as { pid: number };
    const commandLine = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
    expect(commandLine).toContain(
      fileURLToPath(new URL('../../scripts/opengateway-node.js', import.meta.url)),
    );
    for (const flag of NODE_MEMORY_FLAGS) expect(commandLine).toContain(flag);
    const environment = (await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0');
    for (const [name, value] of Object.entries(NODE_MEMORY_ENV))
      expect(environment).toContain(`${name}=${value}`);

    const url = new URL(link);
    const key = url.hash.slice('#key='.length);
    const page = await fetch(new URL('/', url));
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<div id="root">');
    const status = (await (
      await fetch(new URL('/api/status', url), { headers: { authorization: `Bearer ${key}` } })
    ).json()) as { networkId: string; state: { status: string; tried: string[] } };
    expect(status.networkId).toBe('opengateway-main');
    expect(status.state.status).toBe('looking-for-peers');
    expect(status.state.tried.join('\n')).toMatch(/not looked up \(local-only mode/);

    child.kill('SIGINT');
    expect(await exited).toBe(0);
    expect(output).toMatch(/stopping: leaving clusters and closing connections\nstopped\n/);
    // The node removed its api.json: nothing of it is left running.
    await expect(stat(join(dataDir, 'api.json'))).rejects.toThrow(/ENOENT/);
    await expect(fetch(new URL('/', url))).rejects.toThrow();
  });
});
