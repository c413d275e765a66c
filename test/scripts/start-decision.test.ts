// `npm start`'s decision with an ELECTRON DOUBLE: a fake electron package folder whose install.js (run as a
// real child process, like Electron's own installer) either "downloads" a binary or fails as it does offline.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { decideStart, runElectronInstaller, type StartDeps } from '../../scripts/start-decision.ts';

let root: string;
let electronDir: string;

/** install.js of the double: `works` writes dist/electron and path.txt like the real one; else exit 1. */
async function electronDouble(installer: 'works' | 'fails', installed = false): Promise<void> {
  await mkdir(electronDir, { recursive: true });
  await writeFile(join(electronDir, 'package.json'), '{"name":"electron","version":"45.5.0"}');
  await writeFile(
    join(electronDir, 'install.js'),
    installer === 'works'
      ? `const fs = require('node:fs'); fs.mkdirSync('dist', { recursive: true });
         fs.writeFileSync('dist/electron', '#!/bin/sh\\n'); fs.writeFileSync('path.txt', 'electron');`
      : `console.error('electron double: the download is impossible here'); process.exit(1);`,
  );
  if (installed) {
    await mkdir(join(electronDir, 'dist'));
    await writeFile(join(electronDir, 'dist', 'electron'), '#!/bin/sh\n');
    await writeFile(join(electronDir, 'path.txt'), 'electron');
  }
}

function deps(overrides: Partial<StartDeps> = {}): StartDeps & { installs: string[]; lines: string[] } {
  const installs: string[] = [];
  const lines: string[] = [];
  return {
    platform: 'linux',
    env: { DISPLAY: ':0' },
    electronDir,
    runInstaller: async (dir) => {
      installs.push(dir);
      return runElectronInstaller(dir);
    },
    log: (line) => lines.push(line),
    installs,
    lines,
    ...overrides,
  };
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'og-start-'));
  electronDir = join(root, 'node_modules', 'electron');
});

afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('npm start decides', () => {
  it('the desktop app when the binary and a display are there, without running the installer', async () => {
    await electronDouble('fails', true);
    const d = deps();
    expect(await decideStart(d)).toEqual({
      kind: 'desktop',
      electronPath: join(electronDir, 'dist', 'electron'),
    });
    expect(d.installs).toEqual([]);
  });

  it('runs Electron’s installer when the binary is missing, then starts the desktop app', async () => {
    await electronDouble('works');
    const d = deps();
    expect(await decideStart(d)).toMatchObject({ kind: 'desktop' });
    expect(d.installs).toEqual([electronDir]);
    expect(d.lines[0]).toMatch(/running Electron’s installer/);
  });

  it('the headless node when the download is impossible (the installer fails)', async () => {
    await electronDouble('fails');
    const d = deps();
    expect(await decideStart(d)).toEqual({
      kind: 'headless',
      why: 'Electron’s installer could not get it (exit 1)',
    });
    expect(d.installs).toEqual([electronDir]);
  });

  it('the headless node without a display, even with the binary', async () => {
    await electronDouble('fails', true);
    const d = deps({ env: {} });
    expect(await decideStart(d)).toEqual({
      kind: 'headless',
      why: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)',
    });
  });

  it('installs but runs headless when the binary arrives and there is no display', async () => {
    await electronDouble('works');
    const d = deps({ env: { WAYLAND_DISPLAY: '' } });
    expect(await decideStart(d)).toMatchObject({ kind: 'headless', why: /no display/ });
    expect(d.installs).toEqual([electronDir]);
  });

  it('never downloads in local-only mode (OPENGATEWAY_LOCAL_ONLY=1)', async () => {
    await electronDouble('works');
    const d = deps({ env: { DISPLAY: ':0', OPENGATEWAY_LOCAL_ONLY: '1' } });
    expect(await decideStart(d)).toEqual({
      kind: 'headless',
      why: 'the Electron binary is not downloaded, and local-only mode does not download it',
    });
    expect(d.installs).toEqual([]);
  });

  it('the headless node when the electron package itself is missing', async () => {
    const d = deps({ electronDir: null });
    expect(await decideStart(d)).toMatchObject({ kind: 'headless', why: /not installed \(run npm ci\)/ });
    expect(d.installs).toEqual([]);
  });

  it('the desktop app on macOS and Windows, which have no DISPLAY variable', async () => {
    await electronDouble('fails', true);
    for (const platform of ['darwin', 'win32'] as const)
      expect(await decideStart(deps({ platform, env: {} }))).toMatchObject({ kind: 'desktop' });
  });
});
