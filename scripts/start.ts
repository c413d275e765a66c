// `npm start`: build and launch the desktop app where Electron can run; otherwise say how to run the headless node.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const require = createRequire(import.meta.url);

/** Path of the downloaded Electron binary, or why there is none. */
function findElectron(): { ok: true; path: string } | { ok: false; why: string } {
  let pkgDir: string;
  try {
    pkgDir = dirname(require.resolve('electron/package.json'));
  } catch {
    return { ok: false, why: 'the electron package is not installed (run npm ci)' };
  }
  // electron downloads its binary on first use; path.txt exists only once that has succeeded.
  const pathFile = join(pkgDir, 'path.txt');
  if (!existsSync(pathFile))
    return { ok: false, why: 'the Electron binary has not been downloaded on this machine' };
  const binary = join(pkgDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { ok: true, path: binary } : { ok: false, why: `${binary} is missing` };
}

function hasDisplay(): boolean {
  if (process.platform !== 'linux') return true;
  return Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
}

const electron = findElectron();
if (!electron.ok || !hasDisplay()) {
  const why = electron.ok ? 'there is no display (DISPLAY/WAYLAND_DISPLAY unset)' : electron.why;
  console.log(`The desktop app cannot start here: ${why}.`);
  console.log('Run the headless node instead:');
  console.log('  npx opengateway-node start          # the node in the foreground (Ctrl+C stops it)');
  console.log('  npx opengateway-node status         # what it is doing, and its local API address');
  console.log('  npx opengateway-node profile        # what this machine can contribute, and its region');
  console.log('  npx opengateway-node --help         # every command');
  process.exit(0);
}

const build = spawnSync('npx', ['electron-vite', 'build'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
const run = spawnSync(electron.path, ['.'], { stdio: 'inherit' });
process.exit(run.status ?? 0);
