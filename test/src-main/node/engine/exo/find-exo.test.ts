import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { exoInstallHint, findExo } from '../../../../../src-main/node/engine/exo/find-exo.ts';
import { removeTemporaryDirs, temporaryDir } from '../engine-test-kit.ts';

afterEach(removeTemporaryDirs);

function executable(path: string): void {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, '#!/bin/sh\n', { mode: 0o755 });
}

describe('findExo', () => {
  it('uses only the configured path when one is set', async () => {
    const dir = temporaryDir();
    executable(join(dir, 'custom', 'exo'));
    expect(await findExo({ exoPath: join(dir, 'custom', 'exo'), env: { PATH: '' } })).toEqual({
      found: true,
      path: join(dir, 'custom', 'exo'),
      source: 'configured',
    });
    const missing = await findExo({ exoPath: join(dir, 'nope'), env: { PATH: '' } });
    expect(missing).toMatchObject({
      found: false,
      reason: expect.stringMatching(/not an executable file/) as string,
    });
  });

  it('searches PATH in order and skips files that are not executable', async () => {
    const dir = temporaryDir();
    writeFileSync(join(dir, 'exo'), 'not executable', { mode: 0o644 });
    executable(join(dir, 'later', 'exo'));
    const search = await findExo({ env: { PATH: `${dir}:${join(dir, 'later')}` }, platform: 'linux' });
    expect(search).toEqual({ found: true, path: join(dir, 'later', 'exo'), source: 'path' });
  });

  it('never runs an `exo` from a relative PATH entry (the working directory decides it) (finding 27)', async () => {
    const dir = temporaryDir();
    executable(join(dir, 'planted', 'exo'));
    const relativeDir = relative(process.cwd(), join(dir, 'planted'));
    expect(isAbsolute(relativeDir)).toBe(false);
    // Reachable through the relative entry from here; refused anyway, and an absolute entry still works.
    expect(await findExo({ env: { PATH: `${relativeDir}::.` }, platform: 'linux' })).toMatchObject({
      found: false,
    });
    executable(join(dir, 'real', 'exo'));
    expect(
      await findExo({ env: { PATH: `${relativeDir}:${join(dir, 'real')}` }, platform: 'linux' }),
    ).toEqual({ found: true, path: join(dir, 'real', 'exo'), source: 'path' });
  });

  it('falls back to the EXO app’s bundled binary on macOS', async () => {
    const home = temporaryDir();
    const bundled = join(home, 'Applications', 'EXO.app', 'Contents', 'Resources', 'exo', 'exo');
    executable(bundled);
    expect(await findExo({ env: { PATH: '' }, platform: 'darwin', homedir: home })).toEqual({
      found: true,
      path: bundled,
      source: 'app-bundle',
    });
    expect(await findExo({ env: { PATH: '' }, platform: 'linux', homedir: home })).toMatchObject({
      found: false,
    });
  });

  it('says how to get EXO on each platform', () => {
    expect(exoInstallHint('darwin')).toMatch(/brew install --cask exo/);
    expect(exoInstallHint('linux')).toMatch(/uv run exo/);
    expect(exoInstallHint('win32')).toMatch(/does not run on Windows.*OpenAI-compatible/);
  });
});
