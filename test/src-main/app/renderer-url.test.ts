// Security finding 19: ELECTRON_RENDERER_URL chose the window's page, and with it the origin the IPC sender
// check trusts, even in a packaged app. main.ts is loaded for real with the Electron double, packaged or
// not, and the attack sets the variable to a page of the attacker's choosing.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { DesktopAppInit } from '../../../src-main/app/desktop-app.ts';
import { createSenderCheck } from '../../../src-main/app/ipc/sender-check.ts';
import type * as electronDouble from './electron-mock.ts';

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

const ATTACKER = 'https://attacker.example/opengateway.html';
const bundled = pathToFileURL(join(process.cwd(), 'src-main/renderer/index.html')).href;

async function startMain(isPackaged: boolean): Promise<DesktopAppInit> {
  started.init = null;
  vi.resetModules();
  // The double main.ts is about to get (resetModules made a new one).
  const { app } = (await import('electron')) as unknown as typeof electronDouble;
  app.isPackaged = isPackaged;
  await import('../../../src-main/app/main.ts');
  return started.init!;
}

afterEach(() => {
  vi.unstubAllEnvs();
  delete (process as { resourcesPath?: string }).resourcesPath;
});

describe('the renderer address (finding 19)', () => {
  it('a packaged app loads its bundled page whatever ELECTRON_RENDERER_URL says', async () => {
    (process as { resourcesPath?: string }).resourcesPath = '/opt/OpenGateway/resources';
    vi.stubEnv('ELECTRON_RENDERER_URL', ATTACKER);
    const init = await startMain(true);
    expect(init.paths.rendererUrl).toBe(bundled);
    // The IPC trust follows that address: the attacker's page, loaded anyhow, is not trusted.
    const check = createSenderCheck({
      trustedWebContentsIds: () => new Set([1]),
      rendererUrl: init.paths.rendererUrl,
    });
    const from = (url: string) => ({ sender: { id: 1 }, senderFrame: { url, parent: null } });
    expect(check(from(ATTACKER) as never)).toBe(false);
    expect(check(from(bundled) as never)).toBe(true);
  });

  it('a development run follows the dev server electron-vite announces', async () => {
    vi.stubEnv('ELECTRON_RENDERER_URL', 'http://localhost:5173');
    expect((await startMain(false)).paths.rendererUrl).toBe('http://localhost:5173');
    vi.stubEnv('ELECTRON_RENDERER_URL', '');
    expect((await startMain(false)).paths.rendererUrl).toBe(bundled);
  });
});
