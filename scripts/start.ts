// `npm start`: the main job on this machine. The desktop app where Electron's binary and a display are there
// (Electron's installer runs first when the binary is missing); otherwise the headless node on the default
// network in the foreground, with its dashboard built when needed and its link printed, until Ctrl-C.
// Arguments after `--` go to `opengateway-node start` in the headless case (e.g. `npm start -- --relay`).
import { spawn, spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { NODE_MEMORY_ENV, NODE_MEMORY_FLAGS } from '../src-main/cli/runtime-flags.ts';
import { defaultDataDir, locationsFor } from '../src-main/node/locations.ts';
import { readApiEndpoint } from '../src-main/node/local-api/http/api-endpoint-file.ts';
import { ensureDashboardBuilt } from './dashboard-build.ts';
import { decideStart, runElectronInstaller } from './start-decision.ts';

const ROOT = resolve(import.meta.dirname, '..');
// The launcher runs the bundled node (out/node/bin.js), rebuilt first when a source changed.
const BIN = join(ROOT, 'scripts', 'opengateway-node.js');
const say = (line: string) => process.stdout.write(`${line}\n`);

function electronDir(): string | null {
  try {
    return dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return null;
  }
}

const plan = await decideStart({
  platform: process.platform,
  env: process.env,
  electronDir: electronDir(),
  runInstaller: runElectronInstaller,
  log: say,
});

if (plan.kind === 'desktop') {
  const build = spawnSync(
    process.execPath,
    [join(ROOT, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  if (build.status !== 0) process.exit(build.status ?? 1);
  // The node runs in Electron's main process, whose V8 takes flags only from the command line
  // (app.commandLine.appendSwitch in main.ts reaches the renderers alone).
  const run = spawnSync(plan.electronPath, [`--js-flags=${NODE_MEMORY_FLAGS.join(' ')}`, '.'], {
    cwd: ROOT,
    stdio: 'inherit',
    env: { ...process.env, ...NODE_MEMORY_ENV },
  });
  process.exit(run.status ?? 0);
}

say(`npm start: the desktop app cannot start here (${plan.why}); starting the headless node instead.`);
try {
  await ensureDashboardBuilt(ROOT, (line) => say(`npm start: ${line}`));
} catch (error) {
  say(`npm start: ${(error as Error).message}; the node starts without its dashboard`);
}

const args = process.argv.slice(2);
const dataDirFlag = args.indexOf('--data-dir');
const dataDir =
  dataDirFlag >= 0 && args[dataDirFlag + 1] ? resolve(args[dataDirFlag + 1]!) : defaultDataDir();
// Its own process group: a Ctrl-C in the terminal reaches this script only, which passes exactly one on (the
// node takes a second one as "stop now, skip the clean shutdown").
const nodeArgs = ['--disable-warning=ExperimentalWarning', ...NODE_MEMORY_FLAGS, BIN, 'start', ...args];
const node = spawn(process.execPath, nodeArgs, {
  cwd: ROOT,
  env: { ...process.env, ...NODE_MEMORY_ENV },
  stdio: 'inherit',
  detached: true,
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (node.exitCode === null) node.kill(signal);
  });
}
const exited = new Promise<number>((done) =>
  node.on('exit', (code, signal) => done(code ?? (signal ? 1 : 0))),
);
void printDashboardLink(dataDir, node.pid ?? -1, exited);
process.exitCode = await exited;

/** Once the node's local API listens (its api.json names this child), print where its dashboard is. */
async function printDashboardLink(dir: string, pid: number, done: Promise<number>): Promise<void> {
  const locations = locationsFor(dir);
  let finished = false;
  void done.then(() => (finished = true));
  while (!finished) {
    const endpoint = await readApiEndpoint(locations.apiEndpoint).catch(() => null);
    if (endpoint !== null && endpoint.pid === pid) {
      const key = (await readFile(locations.apiKey, 'utf8')).trim();
      say('');
      say(`  Dashboard: ${endpoint.url}/#key=${key}`);
      say(`  (data in ${dir}; Ctrl-C stops the node)`);
      say('');
      return;
    }
    await new Promise((wait) => setTimeout(wait, 100));
  }
}
