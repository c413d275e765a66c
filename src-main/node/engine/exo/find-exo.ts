// Finding the `exo` executable: a configured path, then PATH, then the macOS app's bundled binary, and reading
// its `--help` to learn the generation.
import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { homedir as osHomedir } from 'node:os';
import { delimiter, isAbsolute, join } from 'node:path';
import { detectExoGeneration, type ExoGeneration } from './exo-generation.ts';

export type ExoSource = 'configured' | 'path' | 'app-bundle';

export type ExoSearch =
  | { readonly found: true; readonly path: string; readonly source: ExoSource }
  | { readonly found: false; readonly searched: readonly string[]; readonly reason: string };

export interface FindExoOptions {
  /** A path the user configured; when set, only it is tried. */
  readonly exoPath?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly platform?: NodeJS.Platform;
  readonly homedir?: string;
}

/** Where the EXO macOS app keeps its bundled binary (PyInstaller build). */
export function appBundleCandidates(home: string): string[] {
  const inBundle = join('EXO.app', 'Contents', 'Resources', 'exo', 'exo');
  return [join('/Applications', inBundle), join(home, 'Applications', inBundle)];
}

export async function findExo(options: FindExoOptions = {}): Promise<ExoSearch> {
  const env = options.env ?? process.env;
  const platform = options.platform ?? process.platform;
  if (options.exoPath !== undefined) {
    return (await isExecutable(options.exoPath))
      ? { found: true, path: options.exoPath, source: 'configured' }
      : {
          found: false,
          searched: [options.exoPath],
          reason: `the configured EXO path ${options.exoPath} is not an executable file`,
        };
  }
  const names = platform === 'win32' ? ['exo.exe', 'exo.cmd', 'exo'] : ['exo'];
  const dirs = (env.PATH ?? env.Path ?? '')
    .split(platform === 'win32' ? ';' : delimiter)
    // A relative entry (".", "bin", an empty one) would run whatever `exo` sits in the node's working
    // directory: only absolute directories are searched.
    .filter(
      (dir) => dir !== '' && (platform === 'win32' ? /^[a-z]:[\\/]|^\\\\/i.test(dir) : isAbsolute(dir)),
    );
  const searched: string[] = [];
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = join(dir, name);
      searched.push(candidate);
      if (await isExecutable(candidate)) return { found: true, path: candidate, source: 'path' };
    }
  }
  if (platform === 'darwin') {
    for (const candidate of appBundleCandidates(options.homedir ?? osHomedir())) {
      searched.push(candidate);
      if (await isExecutable(candidate)) return { found: true, path: candidate, source: 'app-bundle' };
    }
  }
  return { found: false, searched, reason: 'EXO is not installed (no `exo` on PATH or in the EXO app)' };
}

export type ExoHelp =
  | { readonly ok: true; readonly generation: ExoGeneration; readonly text: string }
  | { readonly ok: false; readonly reason: string };

const MAX_HELP_BYTES = 256 * 1024;

/**
 * Runs `exo --help`. It can fail before printing anything: HEAD imports its dashboard build at start-up and
 * exits with a FileNotFoundError when the dashboard was never built.
 */
export function readExoHelp(
  path: string,
  options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<ExoHelp> {
  return new Promise((resolve) => {
    execFile(
      path,
      ['--help'],
      {
        env: options.env ?? process.env,
        timeout: options.timeoutMs ?? 30_000,
        maxBuffer: MAX_HELP_BYTES,
        windowsHide: true,
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (error, stdout, stderr) => {
        const text = `${stdout}\n${stderr}`;
        if (error) {
          const tail = text.trim().split('\n').slice(-3).join(' | ');
          resolve({
            ok: false,
            reason: `\`${path} --help\` failed (${error.message.split('\n')[0]})${tail ? `: ${tail}` : ''}`,
          });
          return;
        }
        resolve({ ok: true, generation: detectExoGeneration(text), text });
      },
    );
  });
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    if (!(await stat(path)).isFile()) return false;
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** How to get EXO on this platform, in one or two sentences for a contributor. */
export function exoInstallHint(platform: NodeJS.Platform = process.platform): string {
  switch (platform) {
    case 'darwin':
      return (
        'Install the EXO app with `brew install --cask exo` or from https://assets.exolabs.net/EXO-latest.dmg ' +
        '(Apple Silicon, macOS 26.2 or newer).'
      );
    case 'linux':
      return (
        'EXO runs on Linux on the CPU (GPU support is experimental). Install it from source: ' +
        '`git clone https://github.com/exo-explore/exo && cd exo/dashboard && npm install && npm run build && cd .. && uv run exo`, ' +
        'then put `exo` on PATH or set its path in the settings.'
      );
    case 'win32':
      return (
        'EXO does not run on Windows. Contribute through an OpenAI-compatible server instead ' +
        '(Ollama, llama.cpp llama-server, LM Studio or vLLM) with the `openai` engine.'
      );
    default:
      return 'EXO supports macOS (Apple Silicon) and Linux; see https://github.com/exo-explore/exo.';
  }
}
