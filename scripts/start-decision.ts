// What `npm start` does on this machine (issue 13): the desktop app where Electron's binary and a display are
// there (running Electron's own installer first when the binary is missing), otherwise the headless node on
// the default network with its dashboard. Kept apart from start.ts so each case is tested with an Electron
// double (a fake electron package folder) instead of the real, undownloadable binary.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type ElectronBinary =
  { readonly ok: true; readonly path: string } | { readonly ok: false; readonly why: string };

export type StartPlan =
  | { readonly kind: 'desktop'; readonly electronPath: string }
  | { readonly kind: 'headless'; readonly why: string };

export interface StartDeps {
  readonly platform: NodeJS.Platform;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The installed `electron` package folder; null when the package itself is missing. */
  readonly electronDir: string | null;
  /** Runs Electron's own installer (`node node_modules/electron/install.js`); resolves to its exit code. */
  readonly runInstaller: (electronDir: string) => Promise<number>;
  readonly log: (line: string) => void;
}

/** The downloaded binary in an electron package folder, or why there is none. */
export function findElectronBinary(electronDir: string | null): ElectronBinary {
  if (electronDir === null) return { ok: false, why: 'the electron package is not installed (run npm ci)' };
  // electron's install.js writes path.txt only once the download and unzip succeeded.
  const pathFile = join(electronDir, 'path.txt');
  if (!existsSync(pathFile)) return { ok: false, why: 'the Electron binary is not downloaded' };
  const binary = join(electronDir, 'dist', readFileSync(pathFile, 'utf8').trim());
  return existsSync(binary) ? { ok: true, path: binary } : { ok: false, why: `${binary} is missing` };
}

export function hasDisplay(platform: NodeJS.Platform, env: StartDeps['env']): boolean {
  // macOS and Windows always have a desktop session when a person runs npm start.
  if (platform !== 'linux' && platform !== 'freebsd' && platform !== 'openbsd') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

export async function decideStart(deps: StartDeps): Promise<StartPlan> {
  let electron = findElectronBinary(deps.electronDir);
  if (!electron.ok && deps.electronDir !== null) {
    if (deps.env.OPENGATEWAY_LOCAL_ONLY === '1') {
      electron = { ok: false, why: `${electron.why}, and local-only mode does not download it` };
    } else {
      deps.log('npm start: the Electron binary is missing; running Electron’s installer…');
      const code = await deps.runInstaller(deps.electronDir);
      electron = findElectronBinary(deps.electronDir);
      if (!electron.ok) electron = { ok: false, why: `Electron’s installer could not get it (exit ${code})` };
    }
  }
  const display = hasDisplay(deps.platform, deps.env);
  if (electron.ok && display) return { kind: 'desktop', electronPath: electron.path };
  return {
    kind: 'headless',
    why: !electron.ok ? electron.why : 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)',
  };
}

/** Electron's installer under the Node running this script (npm's Node 22), output shown to the user. */
export function runElectronInstaller(electronDir: string): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(electronDir, 'install.js')], {
      cwd: electronDir,
      stdio: 'inherit',
    });
    child.on('error', () => resolve(1));
    child.on('exit', (code) => resolve(code ?? 1));
  });
}
