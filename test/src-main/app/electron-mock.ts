// DOUBLE of the `electron` module (no Electron binary can be installed here): just enough behaviour to
// run the desktop shell in vitest, recording what the shell does to windows, the tray and IPC.
import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { constants, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { vi } from 'vitest';

type Listener = (...args: unknown[]) => unknown;

/** Electron's `app.commandLine`: switches appended before the app is ready (what Chromium starts with). */
class FakeCommandLine {
  readonly switches = new Map<string, string>();
  appendSwitch(name: string, value = ''): void {
    this.switches.set(name, value);
  }
  hasSwitch(name: string): boolean {
    return this.switches.has(name);
  }
  getSwitchValue(name: string): string {
    return this.switches.get(name) ?? '';
  }
}

class FakeApp extends EventEmitter {
  readonly commandLine = new FakeCommandLine();
  isPackaged = false;
  singleInstance = true;
  loginItem = { openAtLogin: false, wasOpenedAtLogin: false, args: [] as string[] };
  /** Never written to: the tests give electron-store its own temporary folder. */
  readonly userData = join(tmpdir(), 'og-electron-mock-user-data');
  readonly quit = vi.fn(() => {
    const event = {
      defaultPrevented: false,
      preventDefault() {
        this.defaultPrevented = true;
      },
    };
    this.emit('before-quit', event);
    if (!event.defaultPrevented) this.emit('will-quit');
  });
  requestSingleInstanceLock(): boolean {
    return this.singleInstance;
  }
  whenReady(): Promise<void> {
    return Promise.resolve();
  }
  getName(): string {
    return 'OpenGateway';
  }
  getVersion(): string {
    return '0.1.0-test';
  }
  getPath(_name: string): string {
    return this.userData;
  }
  getAppPath(): string {
    return process.cwd();
  }
  setLoginItemSettings = vi.fn((settings: { openAtLogin: boolean; args?: string[] }) => {
    this.loginItem = { ...this.loginItem, openAtLogin: settings.openAtLogin, args: settings.args ?? [] };
  });
  getLoginItemSettings() {
    return this.loginItem;
  }
}

let nextWebContentsId = 1;

export class FakeWebContents extends EventEmitter {
  readonly id = nextWebContentsId++;
  readonly sent: { channel: string; message: unknown }[] = [];
  windowOpenHandler: ((details: { url: string }) => { action: string }) | null = null;
  destroyed = false;
  setWindowOpenHandler(handler: (details: { url: string }) => { action: string }): void {
    this.windowOpenHandler = handler;
  }
  send(channel: string, message: unknown): void {
    this.sent.push({ channel, message });
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** Emits like Electron: returns whether a listener called preventDefault. */
  emitPreventable(event: string, ...args: unknown[]): boolean {
    let prevented = false;
    this.emit(event, { preventDefault: () => (prevented = true) }, ...args);
    return prevented;
  }
}

export class BrowserWindow extends EventEmitter {
  static readonly instances: BrowserWindow[] = [];
  readonly webContents = new FakeWebContents();
  readonly options: Record<string, unknown>;
  visible = false;
  destroyed = false;
  loadedUrl: string | null = null;
  constructor(options: Record<string, unknown>) {
    super();
    this.options = options;
    BrowserWindow.instances.push(this);
  }
  loadURL(url: string): Promise<void> {
    this.loadedUrl = url;
    return Promise.resolve();
  }
  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  focus(): void {}
  restore(): void {}
  isMinimized(): boolean {
    return false;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  /** What clicking the window's close button does. */
  userCloses(): void {
    let prevented = false;
    this.emit('close', { preventDefault: () => (prevented = true) });
    if (!prevented) {
      this.destroyed = true;
      this.emit('closed');
    }
  }
}

export class Tray extends EventEmitter {
  static readonly instances: Tray[] = [];
  image: unknown;
  tooltip = '';
  menu: { items: MenuItemOptions[] } | null = null;
  destroyed = false;
  constructor(image: unknown) {
    super();
    this.image = image;
    Tray.instances.push(this);
  }
  setImage(image: unknown): void {
    this.image = image;
  }
  setToolTip(tooltip: string): void {
    this.tooltip = tooltip;
  }
  setContextMenu(menu: { items: MenuItemOptions[] }): void {
    this.menu = menu;
  }
  destroy(): void {
    this.destroyed = true;
  }
}

export interface MenuItemOptions {
  id?: string;
  label?: string;
  type?: string;
  enabled?: boolean;
  click?: () => void;
}

export const Menu = {
  buildFromTemplate: (items: MenuItemOptions[]) => ({ items }),
};

export const nativeImage = {
  createFromPath: (path: string) => ({ path }),
};

class FakeIpcMain {
  readonly handlers = new Map<string, Listener>();
  /** electron-store registers a listener for renderer-side stores. */
  readonly on = vi.fn();
  handle(channel: string, listener: Listener): void {
    if (this.handlers.has(channel))
      throw new Error(`Attempted to register a second handler for '${channel}'`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string): void {
    this.handlers.delete(channel);
  }
}

class FakePowerMonitor extends EventEmitter {
  idleSeconds = 0;
  getSystemIdleTime(): number {
    return this.idleSeconds;
  }
}

class FakeSession {
  permissionRequestHandler: Listener | null = null;
  permissionCheckHandler: Listener | null = null;
  headersListener: Listener | null = null;
  readonly webRequest = {
    onHeadersReceived: (listener: Listener) => {
      this.headersListener = listener;
    },
  };
  setPermissionRequestHandler(handler: Listener): void {
    this.permissionRequestHandler = handler;
  }
  setPermissionCheckHandler(handler: Listener): void {
    this.permissionCheckHandler = handler;
  }
}

/** Records every desktop notification shown, and lets a test click one. */
export class Notification extends EventEmitter {
  static readonly shown: Notification[] = [];
  static isSupported(): boolean {
    return true;
  }
  readonly options: { title: string; body: string };
  constructor(options: { title: string; body: string }) {
    super();
    this.options = options;
  }
  show(): void {
    Notification.shown.push(this);
  }
}

interface UtilityForkOptions {
  env?: Record<string, string>;
  execArgv?: string[];
  cwd?: string;
  stdio?: string | string[];
  serviceName?: string;
}

const UTILITY_CHILD = fileURLToPath(new URL('./utility-process-child.ts', import.meta.url));

/**
 * Electron's UtilityProcess, made of a real Node child process: `postMessage` ↔ the child's
 * `process.parentPort` (utility-process-child.ts) with structured-clone messages (IPC serialization
 * 'advanced'), stdout/stderr as streams with stdio 'pipe', 'spawn' and 'exit' (a number only, as Electron
 * reports it), `kill()` as SIGTERM, and `pid` undefined before the spawn and after the exit.
 */
export class UtilityProcessDouble extends EventEmitter {
  /** Every process forked, for tests to inspect. */
  static readonly instances: UtilityProcessDouble[] = [];
  /** Whether children may use child_process.fork: false, as in the packaged app with its fuse off. */
  static runAsNodeFuse = false;
  readonly modulePath: string;
  readonly options: UtilityForkOptions;
  stdout: Readable | null;
  stderr: Readable | null;
  readonly #child: ChildProcess;
  #spawned = false;
  #exited = false;

  constructor(modulePath: string, args: string[], options: UtilityForkOptions) {
    super();
    this.modulePath = modulePath;
    this.options = options;
    const stdio = typeof options.stdio === 'string' ? options.stdio : (options.stdio?.[1] ?? 'inherit');
    if (stdio !== 'pipe' && stdio !== 'ignore' && stdio !== 'inherit') {
      throw new Error(`utilityProcess.fork: stdio ${String(options.stdio)} is not supported`);
    }
    const env = {
      ...(options.env ?? (process.env as Record<string, string>)),
      ...(UtilityProcessDouble.runAsNodeFuse ? { OG_DOUBLE_RUN_AS_NODE_FUSE: 'on' } : {}),
    };
    this.#child = fork(modulePath, args, {
      env,
      cwd: options.cwd,
      execArgv: ['--import', UTILITY_CHILD, ...(options.execArgv ?? [])],
      stdio: ['ignore', stdio, stdio, 'ipc'],
      serialization: 'advanced',
    });
    this.stdout = this.#child.stdout;
    this.stderr = this.#child.stderr;
    this.#child.on('spawn', () => {
      this.#spawned = true;
      this.emit('spawn');
    });
    this.#child.on('message', (message: unknown) => this.emit('message', message));
    this.#child.on('exit', (code, signal) => {
      this.#exited = true;
      // Electron's exit event carries one number: a process ended by a signal reports that signal's number.
      this.emit('exit', code ?? (signal ? constants.signals[signal] : -1));
      this.stdout = null;
      this.stderr = null;
    });
    // A spawn failure: Electron reports it through 'exit' as well.
    this.#child.on('error', () => {
      if (!this.#spawned && !this.#exited) {
        this.#exited = true;
        this.emit('exit', -1);
      }
    });
    UtilityProcessDouble.instances.push(this);
  }

  get pid(): number | undefined {
    return this.#spawned && !this.#exited ? this.#child.pid : undefined;
  }

  postMessage(message: unknown): void {
    if (this.#exited || !this.#child.connected) return;
    this.#child.send(message as never);
  }

  kill(): boolean {
    return this.#child.kill('SIGTERM');
  }
}

export const utilityProcess = {
  fork(modulePath: string, args: string[] = [], options: UtilityForkOptions = {}): UtilityProcessDouble {
    return new UtilityProcessDouble(modulePath, args, options);
  },
};

export const app = new FakeApp();
export const ipcMain = new FakeIpcMain();
export const powerMonitor = new FakePowerMonitor();
export const session = { defaultSession: new FakeSession() };
export const shell = { openExternal: vi.fn(() => Promise.resolve()) };
export const contextBridge = { exposeInMainWorld: vi.fn() };
export const ipcRenderer = { invoke: vi.fn(), on: vi.fn(), removeListener: vi.fn() };

/** electron-store does `import electron from 'electron'`. */
const electron = {
  app,
  ipcMain,
  powerMonitor,
  session,
  shell,
  BrowserWindow,
  Tray,
  Menu,
  nativeImage,
  Notification,
  contextBridge,
  ipcRenderer,
  utilityProcess,
};
// eslint-disable-next-line no-restricted-syntax -- mirrors electron's own default export
export default electron;
