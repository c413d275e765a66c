import { EventEmitter } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runDesktopApp, type DesktopApp } from '../../../src-main/app/desktop-app.ts';
import type { ContractSurface, NodeHandle } from '../../../src-main/app/node-handle.ts';
import {
  createPreferencesStore,
  type PreferencesStore,
} from '../../../src-main/app/settings/preferences-store.ts';
import {
  callChannel,
  NOTIFY_CHANNEL,
  type CallName,
  type Notification,
} from '../../../src-shared/ipc/index.ts';
import { createInMemoryNode, type InMemoryNode } from '../../../e2e/fixture/in-memory-node.ts';
import { formatTokens } from '../../../src-shared/ledger/token-amount.ts';
import * as electron from './electron-mock.ts';

vi.mock('electron', () => import('./electron-mock.ts'));

const RENDERER = 'file:///app/out/renderer/index.html';
/** The one download the release-signature check in these tests accepts (the real check: update-feed.test). */
const SIGNED = '/updates/OpenGateway-0.2.0.AppImage';
const verifyUpdate = ({ downloadedFile }: { downloadedFile: string }) =>
  downloadedFile === SIGNED ? Promise.resolve() : Promise.reject(new Error('not signed'));

class FakeAutoUpdater extends EventEmitter {
  autoDownload = false;
  autoInstallOnAppQuit = false;
  checkForUpdates = vi.fn(() => Promise.resolve(null));
  quitAndInstall = vi.fn();
}

let dir: string;
let node: InMemoryNode;
let handle: NodeHandle;
let startNode: ReturnType<typeof vi.fn<() => Promise<void>>>;
let stopNode: ReturnType<typeof vi.fn<() => Promise<void>>>;
let preferences: PreferencesStore;
let updater: FakeAutoUpdater;
let running: DesktopApp | null;
/** What the node's own transports (its /api/ws dashboard) were told to serve. */
let served: ContractSurface | null;

/** A node handle over the in-memory node: serves the shell's front until it stops, like serveNode. */
function handleOver(target: InMemoryNode): NodeHandle {
  return {
    start: (front) => {
      served = front({ handlers: target.handlers, notifications: target.hub });
      return startNode();
    },
    stop: async () => {
      served = null;
      await stopNode();
    },
  };
}

async function launch(options: { argv?: string[]; launchFails?: boolean } = {}): Promise<DesktopApp> {
  const app = await runDesktopApp({
    electron: electron as never,
    autoUpdater: updater,
    launchNode: () =>
      options.launchFails ? Promise.reject(new Error('port 4000 in use')) : Promise.resolve(handle),
    preferences,
    paths: { preload: '/app/out/preload/index.cjs', rendererUrl: RENDERER, assetsDir: '/app/assets' },
    dataDir: dir,
    argv: options.argv ?? [],
    log: () => {},
    firstUpdateCheckDelayMs: 3_600_000,
    verifyUpdate,
    idlePollMs: 3_600_000,
  });
  if (!app) throw new Error('expected the app to start');
  running = app;
  return app;
}

function window(): electron.BrowserWindow {
  return electron.BrowserWindow.instances.at(-1) as electron.BrowserWindow;
}

function tray(): electron.Tray {
  return electron.Tray.instances.at(-1) as electron.Tray;
}

/** Calls the contract like the renderer does: through ipcMain, from our window's top frame. */
function invoke(name: CallName, input: unknown = null): Promise<unknown> {
  const handler = electron.ipcMain.handlers.get(callChannel(name));
  if (!handler) throw new Error(`${name} is not registered`);
  return handler(
    { sender: { id: window().webContents.id }, senderFrame: { url: RENDERER, parent: null } },
    input,
  ) as Promise<unknown>;
}

function sentNotifications(name: string): unknown[] {
  return window()
    .webContents.sent.filter((entry) => entry.channel === NOTIFY_CHANNEL)
    .map((entry) => entry.message as { name: string; payload: unknown })
    .filter((message) => message.name === name)
    .map((message) => message.payload);
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'og-desktop-'));
  node = createInMemoryNode();
  startNode = vi.fn(() => Promise.resolve());
  stopNode = vi.fn(() => Promise.resolve());
  served = null;
  handle = handleOver(node);
  preferences = createPreferencesStore({ cwd: dir });
  updater = new FakeAutoUpdater();
  electron.app.removeAllListeners();
  electron.powerMonitor.removeAllListeners();
  electron.ipcMain.handlers.clear();
  electron.app.isPackaged = false;
  electron.app.singleInstance = true;
  electron.app.quit.mockClear();
  electron.powerMonitor.idleSeconds = 0;
  running = null;
});

afterEach(async () => {
  await running?.shutdown();
  node.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('the desktop app', () => {
  it('quits at once when another instance is running', async () => {
    electron.app.singleInstance = false;
    const result = await runDesktopApp({
      electron: electron as never,
      autoUpdater: null,
      launchNode: () => Promise.resolve(handle),
      preferences,
      paths: { preload: '/p', rendererUrl: RENDERER, assetsDir: '/a' },
      dataDir: dir,
      argv: [],
      log: () => {},
    });
    expect(result).toBeNull();
    expect(electron.app.quit).toHaveBeenCalled();
    expect(startNode).not.toHaveBeenCalled();
  });

  it('starts the node, registers every call, shows the window and a tray that matches the node', async () => {
    await launch();
    expect(startNode).toHaveBeenCalledOnce();
    expect(electron.ipcMain.handlers.size).toBe(Object.keys(node.handlers).length);
    expect(window().visible).toBe(true);
    expect(window().loadedUrl).toBe(RENDERER);
    expect(tray().image).toEqual({ path: '/app/assets/tray-contributing.png' });
    expect(
      tray()
        .menu?.items.map((item) => item.label)
        .slice(0, 2),
    ).toEqual([
      'Contributing (3 clusters)',
      `Balance: ${formatTokens(BigInt(node.state.balance.available))} tokens`,
    ]);
  });

  it('stays in the tray when started at login', async () => {
    const windowsBefore = electron.BrowserWindow.instances.length;
    await launch({ argv: ['--hidden'] });
    expect(electron.BrowserWindow.instances.length).toBe(windowsBefore);
    tray()
      .menu?.items.find((item) => item.id === 'open')
      ?.click?.();
    expect(window().visible).toBe(true);
  });

  it('pause in the tray reaches the node, is remembered, and the window and tray show it', async () => {
    await launch();
    tray()
      .menu?.items.find((item) => item.id === 'toggle')
      ?.click?.();
    await expect.poll(() => node.state.status.status).toBe('paused');
    expect(node.state.status).toMatchObject({ reason: 'user' });
    expect(node.state.clusters.every((cluster) => cluster.membership === 'left')).toBe(true);
    expect(preferences.read().userPaused).toBe(true);
    expect(sentNotifications('status')).toContainEqual(expect.objectContaining({ status: 'paused' }));
    expect(tray().image).toEqual({ path: '/app/assets/tray-paused.png' });

    await invoke('resume');
    expect(node.state.status.status).toBe('ready');
    expect(preferences.read().userPaused).toBe(false);
    expect(tray().menu?.items.find((item) => item.id === 'toggle')?.label).toBe('Pause contributing');
  });

  it('a pause from the node’s browser dashboard is the same pause: saved, and the tray shows it', async () => {
    await launch();
    // The node's /api/ws serves the shell's contract, not the node's own.
    expect(served).not.toBeNull();
    const context = { signal: new AbortController().signal };
    const dashboard: Notification[] = [];
    const unsubscribe = served!.notifications.subscribe((entry) => dashboard.push(entry));
    await served!.handlers.pause({}, context);
    expect(node.state.status).toMatchObject({ status: 'paused', reason: 'user' });
    expect(preferences.read().userPaused).toBe(true);
    expect(tray().image).toEqual({ path: '/app/assets/tray-paused.png' });
    expect(tray().menu?.items.find((item) => item.id === 'toggle')?.label).toBe('Resume contributing');
    // The dashboard hears the desktop's settings (start at login included), like the window does.
    await served!.handlers.updateSettings({ startAtLogin: true }, context);
    expect(dashboard).toContainEqual({
      name: 'settings',
      payload: expect.objectContaining({ startAtLogin: true }) as unknown,
    });

    await served!.handlers.resume(null, context);
    expect(preferences.read().userPaused).toBe(false);
    expect(tray().menu?.items.find((item) => item.id === 'toggle')?.label).toBe('Pause contributing');
    unsubscribe();
    await running?.shutdown();
    expect(served).toBeNull();
  });

  it('finding 27: the browser dashboard cannot install an update; the window can', async () => {
    electron.app.isPackaged = true;
    await launch();
    updater.emit('update-downloaded', { version: '0.2.0', downloadedFile: SIGNED });
    await expect.poll(() => running?.updates.state.state).toBe('downloaded');
    const context = { signal: new AbortController().signal };
    // The attack: a local page or process with the key calls installUpdate over /api/ws.
    expect(() => served!.handlers.installUpdate(null, context)).toThrow(/not from the browser dashboard/);
    expect(updater.quitAndInstall).not.toHaveBeenCalled();
    // The dashboard still sees the update state; the window installs it.
    await expect(served!.handlers.getUpdateState(null, context)).resolves.toMatchObject({
      state: 'downloaded',
    });
    await invoke('installUpdate');
    expect(updater.quitAndInstall).toHaveBeenCalledOnce();
  });

  it('the first launch says where the tray icon is, once per installation; a click opens the window', async () => {
    electron.Notification.shown.length = 0;
    await launch();
    expect(electron.Notification.shown).toHaveLength(1);
    const hint = electron.Notification.shown[0]!;
    expect(hint.options.title).toBe('OpenGateway is running');
    expect(hint.options.body).toMatch(
      /^Find its icon (in the menu bar|in the notification area|in the system tray)/,
    );
    window().hide();
    hint.emit('click');
    expect(window().visible).toBe(true);
    await running?.shutdown();
    electron.app.removeAllListeners();
    electron.ipcMain.handlers.clear();
    await launch();
    expect(electron.Notification.shown).toHaveLength(1);
  });

  it('stays paused across a restart when the user paused', async () => {
    await launch();
    await invoke('pause', {});
    await running?.shutdown();
    node = createInMemoryNode();
    handle = handleOver(node);
    electron.app.removeAllListeners();
    electron.ipcMain.handlers.clear();
    await launch();
    expect(node.state.status).toMatchObject({ status: 'paused', reason: 'user' });
  });

  it('idle-only mode waits for the computer to be idle, then contributes', async () => {
    await launch();
    await expect(invoke('updateSettings', { idleOnly: true, idleMinutes: 5 })).resolves.toMatchObject({
      ok: true,
    });
    expect(node.state.status).toMatchObject({ status: 'paused', reason: 'waiting-for-idle' });
    expect(node.state.settings).toMatchObject({ idleOnly: true, idleMinutes: 5 });

    electron.powerMonitor.idleSeconds = 300;
    electron.powerMonitor.emit('lock-screen');
    await expect.poll(() => node.state.status.status).toBe('ready');

    electron.powerMonitor.idleSeconds = 2;
    electron.powerMonitor.emit('unlock-screen');
    await expect.poll(() => node.state.status.status).toBe('paused');
  });

  it('keeps settings in electron-store, sets start at login, and rejects invalid values', async () => {
    await launch();
    await expect(
      invoke('updateSettings', { startAtLogin: true, maxConcurrentRequests: 4 }),
    ).resolves.toMatchObject({
      ok: true,
      output: { startAtLogin: true, maxConcurrentRequests: 4 },
    });
    expect(electron.app.setLoginItemSettings).toHaveBeenCalledWith({ openAtLogin: true, args: ['--hidden'] });
    expect(preferences.read().settings).toMatchObject({ startAtLogin: true, maxConcurrentRequests: 4 });
    expect(node.state.settings.maxConcurrentRequests).toBe(4);
    expect(sentNotifications('settings').at(-1)).toMatchObject({ startAtLogin: true });
    await expect(invoke('updateSettings', { maxConcurrentRequests: 1000 })).resolves.toMatchObject({
      ok: false,
      error: { kind: 'invalid-input' },
    });
    await expect(invoke('getAppInfo')).resolves.toMatchObject({
      output: { shell: 'desktop', version: '0.1.0-test' },
    });
  });

  it('passes updater events to the window and installs on request', async () => {
    electron.app.isPackaged = true;
    await launch();
    updater.emit('update-available', { version: '0.2.0' });
    updater.emit('update-downloaded', { version: '0.2.0', downloadedFile: SIGNED });
    await expect.poll(() => running?.updates.state.state).toBe('downloaded');
    expect(sentNotifications('update')).toEqual([
      { state: 'available', version: '0.2.0' },
      { state: 'downloading', version: '0.2.0', percent: 100 },
      { state: 'downloaded', version: '0.2.0' },
    ]);
    await expect(invoke('getUpdateState')).resolves.toEqual({
      ok: true,
      output: { state: 'downloaded', version: '0.2.0' },
    });
    await invoke('installUpdate');
    expect(updater.quitAndInstall).toHaveBeenCalledOnce();
  });

  it('installs a verified update as the app quits, after the node stopped; never an unverified one', async () => {
    electron.app.isPackaged = true;
    await launch();
    updater.emit('update-downloaded', { version: '0.2.0', downloadedFile: '/updates/tampered.AppImage' });
    await expect.poll(() => running?.updates.state.state).toBe('error');
    updater.emit('update-downloaded', { version: '0.2.0', downloadedFile: SIGNED });
    await expect.poll(() => running?.updates.state.state).toBe('downloaded');
    updater.quitAndInstall.mockImplementation(() => {
      // The node was stopped first; the updater then quits the app itself.
      expect(stopNode).toHaveBeenCalledOnce();
      electron.app.quit();
    });
    electron.app.quit();
    await expect.poll(() => updater.quitAndInstall.mock.calls).toEqual([[true, false]]);
    await expect.poll(() => electron.app.quit.mock.calls.length).toBe(2);
  });

  it('quits without installing when the download did not verify', async () => {
    electron.app.isPackaged = true;
    await launch();
    updater.emit('update-downloaded', { version: '0.2.0', downloadedFile: '/updates/tampered.AppImage' });
    await expect.poll(() => running?.updates.state.state).toBe('error');
    electron.app.quit();
    await expect.poll(() => electron.app.quit.mock.calls.length).toBe(2);
    expect(updater.quitAndInstall).not.toHaveBeenCalled();
  });

  it('hides the window on close and stops the node before quitting', async () => {
    const app = await launch();
    window().userCloses();
    expect(window().visible).toBe(false);
    expect(window().destroyed).toBe(false);

    electron.app.quit();
    await expect.poll(() => electron.app.quit.mock.calls.length).toBe(2);
    expect(stopNode).toHaveBeenCalledOnce();
    expect(tray().destroyed).toBe(true);
    expect(electron.ipcMain.handlers.size).toBe(0);
    await app.shutdown(); // idempotent
    expect(stopNode).toHaveBeenCalledOnce();
  });

  it('quits even when the node does not stop', async () => {
    stopNode.mockImplementation(() => new Promise<void>(() => {}));
    const app = await runDesktopApp({
      electron: electron as never,
      autoUpdater: null,
      launchNode: () => Promise.resolve(handle),
      preferences,
      paths: { preload: '/p', rendererUrl: RENDERER, assetsDir: '/a' },
      dataDir: dir,
      argv: [],
      log: () => {},
      stopGraceMs: 10,
    });
    await app?.shutdown();
    expect(stopNode).toHaveBeenCalledOnce();
    expect(tray().destroyed).toBe(true);
  });

  it('shows what went wrong when the node cannot start', async () => {
    await launch({ launchFails: true });
    expect(tray().image).toEqual({ path: '/app/assets/tray-error.png' });
    await expect(invoke('getStatus')).resolves.toEqual({
      ok: true,
      output: { status: 'error', message: 'port 4000 in use' },
    });
    await expect(invoke('pause', {})).resolves.toMatchObject({ ok: false, error: { kind: 'expected' } });
  });
});
