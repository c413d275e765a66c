// The desktop app (Electron mocked) with the real launchNode: a real OpenGatewayNode on the app's data
// folder, reached through the same IPC calls the window makes, and through the node's own /api/ws.
import { copyFile, mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runDesktopApp, type DesktopApp } from '../../../src-main/app/desktop-app.ts';
import { launchNode } from '../../../src-main/app/launch-node.ts';
import {
  createPreferencesStore,
  type PreferencesStore,
} from '../../../src-main/app/settings/preferences-store.ts';
import { locationsFor } from '../../../src-main/node/locations.ts';
import { initNetwork } from '../../../src-main/node/network-config/init-network.ts';
import { writeFirstRun } from '../../../src-main/node/onboarding/first-run-record.ts';
import {
  callChannel,
  createContractClient,
  type AppInfo,
  type Balance,
  type CallName,
} from '../../../src-shared/ipc/index.ts';
import { formatTokens } from '../../../src-shared/ledger/token-amount.ts';
import { createWebSocketTransport } from '../../../src-renderer/src/transport/websocket-transport.ts';
import * as electron from './electron-mock.ts';

vi.mock('electron', () => import('./electron-mock.ts'));

const RENDERER = 'file:///app/out/renderer/index.html';
let root: string;
let dataDir: string;
let running: DesktopApp | null = null;
let preferences: PreferencesStore;

function window(): electron.BrowserWindow {
  return electron.BrowserWindow.instances.at(-1) as electron.BrowserWindow;
}

function tray(): electron.Tray {
  return electron.Tray.instances.at(-1) as electron.Tray;
}

/** Calls the contract like the renderer does: through ipcMain, from our window's top frame. */
async function invoke(name: CallName, input: unknown = null): Promise<unknown> {
  const handler = electron.ipcMain.handlers.get(callChannel(name));
  if (!handler) throw new Error(`${name} is not registered`);
  const result = (await handler(
    { sender: { id: window().webContents.id }, senderFrame: { url: RENDERER, parent: null } },
    input,
  )) as { ok: boolean; output?: unknown; error?: unknown };
  if (!result.ok) throw new Error(`${name} failed: ${JSON.stringify(result.error)}`);
  return result.output;
}

async function launch(): Promise<DesktopApp> {
  const app = await runDesktopApp({
    electron: electron as never,
    autoUpdater: null,
    launchNode,
    preferences,
    paths: { preload: '/app/out/preload/index.cjs', rendererUrl: RENDERER, assetsDir: '/app/assets' },
    dataDir,
    argv: [],
    log: () => {},
    firstUpdateCheckDelayMs: 3_600_000,
    idlePollMs: 3_600_000,
  });
  if (!app) throw new Error('expected the app to start');
  running = app;
  return app;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'og-launch-node-'));
  dataDir = join(root, 'data');
  preferences = createPreferencesStore({ cwd: root });
  electron.app.removeAllListeners();
  electron.powerMonitor.removeAllListeners();
  electron.ipcMain.handlers.clear();
  electron.app.isPackaged = false;
  electron.app.singleInstance = true;
});

afterEach(async () => {
  await running?.shutdown();
  running = null;
  await rm(root, { recursive: true, force: true });
});

describe('launchNode (the desktop app’s node)', { timeout: 60_000 }, () => {
  it('starts a real node on the data folder with its stored config and region choice', async () => {
    const network = await initNetwork({ outDir: join(root, 'net'), founders: 1, threshold: 1 });
    const locations = locationsFor(dataDir);
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await copyFile(network.configPath, locations.networkConfig);
    // An installation whose welcome was answered with consent.
    await writeFirstRun(dataDir, true);
    await writeFile(
      locations.settings,
      JSON.stringify({ version: 1, maxConcurrentRequests: 2, gpuMemoryShare: 0.8, regionOverride: 'europe' }),
      { mode: 0o600 },
    );

    const app = await launch();
    expect(await invoke('getAppInfo')).toMatchObject({
      shell: 'desktop',
      dataDir: locations.dataDir,
      network: network.config.networkId,
    });
    expect(await invoke('getRegion')).toMatchObject({ region: 'europe', source: 'override' });
    expect(await invoke('getStatus')).toMatchObject({ status: 'ready' });
    expect(tray().menu?.items[0]?.label).toMatch(/^Contributing/);
    // The tray's balance line is the contract's balance (unknown: a dash, never a made-up 0).
    const balance = (await invoke('getBalance')) as Balance | null;
    expect(tray().menu?.items[1]?.label).toBe(
      balance === null ? 'Balance: —' : `Balance: ${formatTokens(BigInt(balance.available))} tokens`,
    );
    expect((await stat(locations.apiEndpoint)).isFile()).toBe(true);

    // Pause from the window reaches the node (through the shell's contribution controller).
    expect(await invoke('pause', {})).toMatchObject({ status: 'paused', reason: 'user' });
    expect(await invoke('getStatus')).toMatchObject({ status: 'paused' });

    await app.shutdown();
    running = null;
    await expect(stat(locations.apiEndpoint)).rejects.toThrow(/ENOENT/);
  });

  it('a pause from the node’s own browser dashboard (/api/ws) is saved and shown like one from the tray', async () => {
    const network = await initNetwork({ outDir: join(root, 'net'), founders: 1, threshold: 1 });
    await mkdir(dataDir, { recursive: true, mode: 0o700 });
    await copyFile(network.configPath, locationsFor(dataDir).networkConfig);
    await writeFirstRun(dataDir, true);
    await launch();
    const { localApi } = (await invoke('getAppInfo')) as AppInfo;
    let opened!: () => void;
    const open = new Promise<void>((resolve) => (opened = resolve));
    const transport = createWebSocketTransport({
      url: `${localApi!.url.replace('http', 'ws')}/api/ws`,
      apiKey: localApi!.key,
      minRetryMs: 60_000,
      onStateChange: (state) => {
        if (state.state === 'open') opened();
      },
    });
    try {
      await open;
      const dashboard = createContractClient(transport);
      expect(await dashboard.call('pause', {})).toMatchObject({ status: 'paused', reason: 'user' });
      expect(preferences.read().userPaused).toBe(true);
      await vi.waitFor(() => expect(tray().menu?.items[0]?.label).toBe('Paused'));
      expect(tray().menu?.items.find((item) => item.id === 'toggle')?.label).toBe('Resume contributing');
      // The dashboard speaks for the desktop app (its settings, its version), not for a headless node.
      expect(await dashboard.call('getAppInfo')).toMatchObject({ shell: 'desktop', version: '0.1.0-test' });

      expect(await dashboard.call('resume')).toMatchObject({ status: 'ready' });
      expect(preferences.read().userPaused).toBe(false);
      await vi.waitFor(() => expect(tray().menu?.items[0]?.label).toMatch(/^Contributing/));
    } finally {
      transport.stop();
    }
  });

  it('a fresh install waits for consent, then joins the default network alone: "looking for peers", not an error', async () => {
    // OPENGATEWAY_LOCAL_ONLY=1 (vitest.config.ts): the default network's bootstrap names are not looked up.
    await launch();
    // Nothing is contributed before the welcome is answered.
    await vi.waitFor(() => expect(tray().menu?.items[0]?.label).toBe('Paused'), { timeout: 20_000 });
    expect(await invoke('getFirstRun')).toMatchObject({ completed: false });
    expect(await invoke('completeFirstRun', { contribute: true, startAtLogin: true })).toMatchObject({
      completed: true,
      contribute: true,
    });
    expect(preferences.read()).toMatchObject({ userPaused: false, settings: { startAtLogin: true } });
    expect(electron.app.loginItem.openAtLogin).toBe(true);
    await vi.waitFor(() => expect(tray().menu?.items[0]?.label).toBe('Looking for peers…'), {
      timeout: 20_000,
    });
    expect(await invoke('getStatus')).toMatchObject({ status: 'looking-for-peers', nextAttemptAt: null });
    expect(await invoke('getAppInfo')).toMatchObject({ network: 'opengateway-main' });
    expect(tray().image).toEqual({ path: '/app/assets/tray-offline.png' });
  });
});
