// The desktop shell's composition root: single instance, the node, the window, the tray, IPC, updates,
// idle-only mode and start at login. Takes Electron as a parameter, so tests run it against a mock.
import type {
  App,
  BrowserWindow,
  BrowserWindowConstructorOptions,
  IpcMain,
  Menu,
  NativeImage,
  PowerMonitor,
  Shell,
  Tray,
} from 'electron';
import { join } from 'node:path';
import type { ContractHandlers, NotificationHub } from '../../src-shared/ipc/index.ts';
import { startIdleMonitor, type IdleMonitor } from './contribution/idle-monitor.ts';
import { ContributionController } from './contribution/contribution-controller.ts';
import { createDesktopHandlers, dashboardHandlersOf, nodeSettingsOf } from './desktop-handlers.ts';
import { createDesktopNotifications } from './desktop-notifications.ts';
import { createFailedNodeHandle } from './failed-node.ts';
import { forwardNotifications } from './ipc/forward-notifications.ts';
import { registerContractIpc } from './ipc/register-contract-ipc.ts';
import { createSenderCheck } from './ipc/sender-check.ts';
import type { ContractSurface, LaunchNode, NodeHandle, ShellFront } from './node-handle.ts';
import type { PreferencesStore } from './settings/preferences-store.ts';
import { trayHintFor } from './tray/tray-hint.ts';
import { TrayController } from './tray/tray-controller.ts';
import { RELEASE_PUBLIC_KEYS, releaseSignatureUrl } from './updater/release-keys.ts';
import { UpdateController, type AutoUpdaterLike } from './updater/update-controller.ts';
import { releaseUpdateVerifier, type VerifyDownloadedUpdate } from './updater/update-verifier.ts';
import { hardenSession, MainWindowController, type HardenableSession } from './window/main-window.ts';

/** The parts of the `electron` module the shell uses. */
export interface DesktopElectron {
  readonly app: Pick<
    App,
    | 'requestSingleInstanceLock'
    | 'quit'
    | 'on'
    | 'whenReady'
    | 'getVersion'
    | 'isPackaged'
    | 'setLoginItemSettings'
    | 'getLoginItemSettings'
  >;
  readonly BrowserWindow: new (options: BrowserWindowConstructorOptions) => BrowserWindow;
  readonly Tray: new (image: NativeImage) => Tray;
  readonly Menu: Pick<typeof Menu, 'buildFromTemplate'>;
  readonly nativeImage: { createFromPath(path: string): NativeImage };
  readonly ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  readonly powerMonitor: Pick<PowerMonitor, 'getSystemIdleTime' | 'on'>;
  readonly shell: Pick<Shell, 'openExternal'>;
  readonly session: { readonly defaultSession: HardenableSession };
  /** Desktop notifications (the tray's first-run hint); absent where the platform has none. */
  readonly Notification?: {
    new (options: { title: string; body: string }): {
      show(): void;
      on(event: 'click', listener: () => void): unknown;
    };
    isSupported(): boolean;
  };
}

export interface DesktopAppInit {
  readonly electron: DesktopElectron;
  readonly autoUpdater: AutoUpdaterLike | null;
  readonly launchNode: LaunchNode;
  readonly preferences: PreferencesStore;
  readonly paths: { readonly preload: string; readonly rendererUrl: string; readonly assetsDir: string };
  readonly dataDir: string;
  readonly argv: readonly string[];
  /** Which platform's words the tray hint uses (tests); the running one by default. */
  readonly platform?: NodeJS.Platform;
  readonly log: (line: string) => void;
  readonly firstUpdateCheckDelayMs?: number;
  /** The release-signature check for downloaded updates (tests); the shipped release keys by default. */
  readonly verifyUpdate?: VerifyDownloadedUpdate | null;
  readonly idlePollMs?: number;
  /** How long quitting waits for the node to stop (leave clusters, stop engines). */
  readonly stopGraceMs?: number;
}

export interface DesktopApp {
  readonly window: MainWindowController;
  readonly tray: TrayController;
  readonly updates: UpdateController;
  readonly contribution: ContributionController;
  readonly handlers: ContractHandlers<AbortSignal>;
  readonly node: NodeHandle;
  /** Stops everything (idempotent); the app quits afterwards. */
  shutdown(): Promise<void>;
}

/** The shell's parts that stand on the node's own contract. */
interface ShellParts {
  readonly own: ContractSurface;
  readonly notifications: NotificationHub;
  readonly contribution: ContributionController;
  readonly handlers: ContractHandlers<AbortSignal>;
  readonly unregister: () => void;
  readonly unforward: () => void;
  readonly untrack: () => void;
}

/** Passed by the login item, so a start at login stays in the tray. */
export const HIDDEN_FLAG = '--hidden';

/** Returns null when another instance already runs (that one is shown instead). */
export async function runDesktopApp(init: DesktopAppInit): Promise<DesktopApp | null> {
  const { electron, log } = init;
  const { app } = electron;
  if (!app.requestSingleInstanceLock()) {
    app.quit();
    return null;
  }
  await app.whenReady();
  hardenSession(electron.session.defaultSession);

  const lifetime = new AbortController();
  const version = app.getVersion();
  const preferences = init.preferences.read();

  let node: NodeHandle;
  try {
    node = await init.launchNode({ dataDir: init.dataDir, version, log });
  } catch (error) {
    log(`node failed to launch: ${String(error)}`);
    node = createFailedNodeHandle(
      error instanceof Error ? error.message : String(error),
      init.dataDir,
      version,
    );
  }

  const reportFailure = (what: string) => (error: unknown) => log(`${what} failed: ${String(error)}`);
  const window = new MainWindowController({
    createWindow: (options) => new electron.BrowserWindow(options),
    preloadPath: init.paths.preload,
    rendererUrl: init.paths.rendererUrl,
    devTools: !app.isPackaged,
    openExternal: (url) => void electron.shell.openExternal(url).catch(reportFailure('opening a link')),
  });
  app.on('second-instance', () => window.show());

  // The shell's parts that stand on the node's own contract; built by `front` before the node onboards.
  // (Declared with a cast so TypeScript does not narrow it to null: `front` assigns it.)
  let shell = null as ShellParts | null;
  const startedHidden = init.argv.includes(HIDDEN_FLAG) || app.getLoginItemSettings().wasOpenedAtLogin;

  const updates = new UpdateController({
    autoUpdater: init.autoUpdater,
    enabled: app.isPackaged,
    verifyDownload:
      init.verifyUpdate !== undefined
        ? init.verifyUpdate
        : RELEASE_PUBLIC_KEYS.length > 0
          ? releaseUpdateVerifier({ publicKeys: RELEASE_PUBLIC_KEYS, signatureUrl: releaseSignatureUrl })
          : null,
    publish: (state) => shell?.notifications.publish('update', state),
    firstCheckDelayMs: init.firstUpdateCheckDelayMs,
  });

  let idle: IdleMonitor | null = null;
  const startIdle = (): void => {
    idle = startIdleMonitor({
      source: electron.powerMonitor,
      thresholdMinutes: () => init.preferences.read().settings.idleMinutes,
      onChange: (systemIdle) =>
        void shell?.contribution.setSystemIdle(systemIdle).catch(reportFailure('idle change')),
      pollMs: init.idlePollMs,
    });
  };
  // The screen locking is as good a sign of absence as any.
  electron.powerMonitor.on('lock-screen', () => idle?.check());
  electron.powerMonitor.on('unlock-screen', () => idle?.check());

  let quitting = false;
  const tray = new TrayController(
    {
      createTray: (image) => new electron.Tray(image),
      buildMenu: (template) => electron.Menu.buildFromTemplate(template),
      iconFor: (state) =>
        electron.nativeImage.createFromPath(join(init.paths.assetsDir, `tray-${state}.png`)),
    },
    {
      pause: () => void shell?.handlers.pause({}, { signal: lifetime.signal }).catch(reportFailure('pause')),
      resume: () =>
        void shell?.handlers.resume(null, { signal: lifetime.signal }).catch(reportFailure('resume')),
      open: () => window.show(),
      quit: () => app.quit(),
    },
  );
  // Once per installation: a tray-only app must say where its icon is.
  if (!preferences.trayHintShown && electron.Notification?.isSupported()) {
    const hint = new electron.Notification(trayHintFor(init.platform ?? process.platform));
    hint.on('click', () => window.show());
    hint.show();
    init.preferences.write({ ...init.preferences.read(), trayHintShown: true });
  }

  const front: ShellFront = (own) => {
    const notifications = createDesktopNotifications(own.notifications);
    const contribution = new ContributionController(
      own,
      { userPaused: preferences.userPaused, idleOnly: preferences.settings.idleOnly },
      lifetime.signal,
    );
    const handlers = createDesktopHandlers({
      node: own,
      preferences: init.preferences,
      contribution,
      updates,
      notifications,
      version,
      setStartAtLogin: (open) => app.setLoginItemSettings({ openAtLogin: open, args: [HIDDEN_FLAG] }),
      onIdleSettingsChanged: () => idle?.check(),
    });
    const unregister = registerContractIpc({
      ipcMain: electron.ipcMain,
      handlers,
      isTrustedSender: createSenderCheck({
        trustedWebContentsIds: () => window.trustedWebContentsIds(),
        rendererUrl: init.paths.rendererUrl,
      }),
      signal: lifetime.signal,
      onInternalError: (error, call) => log(`ipc ${call} failed: ${String(error)}`),
      onRefused: (call, url) => log(`ipc ${call} refused for ${url}`),
    });
    const unforward = forwardNotifications(notifications, () => window.webContents());
    const untrack = notifications.subscribe((notification) => {
      if (notification.name === 'status') tray.setStatus(notification.payload);
      if (notification.name === 'balance') tray.setBalance(notification.payload);
    });
    shell = { own, notifications, contribution, handlers, unregister, unforward, untrack };
    // Shown once its calls are registered, so the renderer's first calls find them.
    if (!startedHidden) window.show();
    // The node's browser dashboard answers through the same handlers as the window: one place for pause.
    return { handlers: dashboardHandlersOf(handlers), notifications };
  };

  let stopped: Promise<void> | null = null;
  const shutdown = (): Promise<void> => {
    stopped ??= (async () => {
      window.allowClose();
      idle?.stop();
      updates.stop();
      shell?.untrack();
      shell?.unforward();
      shell?.unregister();
      lifetime.abort(new Error('OpenGateway is quitting'));
      // Quitting must not hang on a stuck node: it gets a grace period, then the process goes anyway.
      let timer: ReturnType<typeof setTimeout> | undefined;
      const grace = new Promise<void>((resolve) => {
        timer = setTimeout(() => {
          log('the node did not stop in time; quitting anyway');
          resolve();
        }, init.stopGraceMs ?? 15_000);
      });
      await Promise.race([node.stop().catch(reportFailure('stopping the node')), grace]);
      clearTimeout(timer);
      tray.destroy();
    })();
    return stopped;
  };
  app.on('before-quit', (event) => {
    window.allowClose();
    if (quitting) return;
    // Stop the node (leave clusters, stop engines) before the process goes away.
    event.preventDefault();
    quitting = true;
    void shutdown()
      .catch(reportFailure('shutting down'))
      .then(() => {
        // A verified update installs now and the updater quits the app; if it never does, quit anyway.
        if (!updates.installOnQuit()) return app.quit();
        setTimeout(() => app.quit(), init.stopGraceMs ?? 15_000);
      });
  });
  // The app lives in the tray: closing the window must not quit it.
  app.on('window-all-closed', () => {});

  try {
    await node.start(front);
    const own = shell!.own;
    await own.handlers.updateSettings(nodeSettingsOf(preferences.settings), { signal: lifetime.signal });
    tray.setStatus(await own.handlers.getStatus(null, { signal: lifetime.signal }));
    tray.setBalance(await own.handlers.getBalance(null, { signal: lifetime.signal }));
    startIdle();
    // Until the welcome is answered the node waits for consent (it started paused): keep it so.
    const firstRun = await own.handlers.getFirstRun(null, { signal: lifetime.signal });
    if (firstRun.completed) await shell!.contribution.apply();
    else await shell!.contribution.setUserPaused(true);
  } catch (error) {
    log(`node start failed: ${String(error)}`);
    tray.setStatus({
      status: 'error',
      message: error instanceof Error ? error.message.slice(0, 400) : 'unknown',
    });
  }
  // Idle-only mode may be switched on later from the settings, so the monitor always runs.
  if (!idle) startIdle();
  updates.start();

  // Every NodeHandle calls `front` before its start settles (a failed one with a contract that says why).
  const built = shell!;
  return {
    window,
    tray,
    updates,
    contribution: built.contribution,
    handlers: built.handlers,
    node,
    shutdown,
  };
}
