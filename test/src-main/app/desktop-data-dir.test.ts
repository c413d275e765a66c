// Where the desktop app's node keeps its files: Electron's userData folder unless the user says otherwise.
// main.ts is loaded for real with Electron mocked, so the wiring (not only the rule) is what is checked.
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DesktopAppInit } from '../../../src-main/app/desktop-app.ts';
import { desktopDataDir } from '../../../src-main/app/desktop-data-dir.ts';
import * as electron from './electron-mock.ts';

vi.mock('electron', () => import('./electron-mock.ts'));
vi.mock('electron-updater', () => ({ default: { autoUpdater: null } }));
const started = vi.hoisted(() => ({ init: null as DesktopAppInit | null }));
vi.mock('../../../src-main/app/desktop-app.ts', () => ({
  runDesktopApp: (init: DesktopAppInit) => {
    started.init = init;
    return Promise.resolve(null);
  },
}));
vi.mock('../../../src-main/app/settings/preferences-store.ts', () => ({
  createPreferencesStore: () => ({ read: () => null, write: () => {} }),
}));

const userData = electron.app.getPath('userData');

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('the desktop data folder', () => {
  it('is a node folder inside Electron’s userData, not the headless node’s folder', async () => {
    vi.stubEnv('OPENGATEWAY_DATA_DIR', '');
    vi.resetModules();
    await import('../../../src-main/app/main.ts');
    expect(started.init?.dataDir).toBe(join(userData, 'node'));
    // The same start also gives the window's renderers the small young generation (issue 17 item 4). After
    // resetModules the mock is a new instance: the one main.ts was given.
    const { app } = (await import('electron')) as unknown as typeof electron;
    expect(app.commandLine.getSwitchValue('js-flags')).toContain('--max-semi-space-size=2');
  });

  it('follows OPENGATEWAY_DATA_DIR like the headless node does', () => {
    expect(
      desktopDataDir({ app: electron.app, env: { OPENGATEWAY_DATA_DIR: 'og-data' }, argv: ['electron'] }),
    ).toBe(resolve('og-data'));
  });

  it('follows --data-dir on the command line before anything else', () => {
    const env = { OPENGATEWAY_DATA_DIR: '/from/env' };
    expect(desktopDataDir({ app: electron.app, env, argv: ['app', '--data-dir=/from/flag'] })).toBe(
      '/from/flag',
    );
    expect(desktopDataDir({ app: electron.app, env, argv: ['app', '--data-dir', '/spaced'] })).toBe(
      '/spaced',
    );
    // An empty value is no choice at all.
    expect(desktopDataDir({ app: electron.app, env: {}, argv: ['app', '--data-dir='] })).toBe(
      join(userData, 'node'),
    );
  });
});
