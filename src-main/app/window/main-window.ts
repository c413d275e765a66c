// The one window, hardened (Electron security checklist): isolated, sandboxed preload, no Node, a CSP,
// no navigation, no new windows, no permissions. Closing it hides it; the app lives in the tray.
import type { BrowserWindow, BrowserWindowConstructorOptions, Session, WebContents } from 'electron';
import { DASHBOARD_CONTENT_SECURITY_POLICY } from '../../../src-shared/ipc/index.ts';

/** The renderer's CSP, also set as a response header (the development server serves over http). */
export const CONTENT_SECURITY_POLICY = DASHBOARD_CONTENT_SECURITY_POLICY;

export function mainWindowOptions(preloadPath: string, devTools: boolean): BrowserWindowConstructorOptions {
  return {
    width: 1100,
    height: 760,
    minWidth: 720,
    minHeight: 520,
    show: false,
    title: 'OpenGateway',
    webPreferences: {
      preload: preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      spellcheck: false,
      devTools,
    },
  };
}

export type HardenableWebContents = Pick<WebContents, 'setWindowOpenHandler' | 'on'>;

/**
 * Denies every navigation and new window. Plain https links (the DB-IP credit) open in the user's browser.
 */
export function hardenWebContents(
  webContents: HardenableWebContents,
  openExternal: (url: string) => void,
): void {
  webContents.setWindowOpenHandler(({ url }) => {
    if (isHttpsUrl(url)) openExternal(url);
    return { action: 'deny' };
  });
  webContents.on('will-navigate', (event) => event.preventDefault());
  webContents.on('will-redirect', (event) => event.preventDefault());
  webContents.on('will-attach-webview', (event) => event.preventDefault());
}

export function isHttpsUrl(url: string): boolean {
  try {
    return new URL(url).protocol === 'https:';
  } catch {
    return false;
  }
}

export type HardenableSession = {
  readonly webRequest: Pick<Session['webRequest'], 'onHeadersReceived'>;
} & Pick<Session, 'setPermissionRequestHandler' | 'setPermissionCheckHandler'>;

/** No camera, microphone, notifications-by-prompt or anything else; the CSP also on every response. */
export function hardenSession(session: HardenableSession): void {
  session.setPermissionRequestHandler((_webContents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
  });
}

export interface MainWindowDeps {
  readonly createWindow: (options: BrowserWindowConstructorOptions) => BrowserWindow;
  readonly preloadPath: string;
  readonly rendererUrl: string;
  readonly devTools: boolean;
  readonly openExternal: (url: string) => void;
}

/** Creates the window on first use, re-shows it afterwards, and hides instead of closing. */
export class MainWindowController {
  readonly #deps: MainWindowDeps;
  #window: BrowserWindow | null = null;
  #quitting = false;

  constructor(deps: MainWindowDeps) {
    this.#deps = deps;
  }

  get window(): BrowserWindow | null {
    return this.#window;
  }

  /** The webContents allowed to call the node (for the IPC sender check). */
  trustedWebContentsIds(): ReadonlySet<number> {
    const window = this.#window;
    return new Set(window && !window.isDestroyed() ? [window.webContents.id] : []);
  }

  webContents(): WebContents[] {
    const window = this.#window;
    return window && !window.isDestroyed() ? [window.webContents] : [];
  }

  show(): void {
    const window = this.#window ?? this.#create();
    if (window.isMinimized()) window.restore();
    window.show();
    window.focus();
  }

  /** From now on closing really closes (the app is quitting). */
  allowClose(): void {
    this.#quitting = true;
  }

  #create(): BrowserWindow {
    const window = this.#deps.createWindow(mainWindowOptions(this.#deps.preloadPath, this.#deps.devTools));
    hardenWebContents(window.webContents, this.#deps.openExternal);
    window.on('close', (event) => {
      if (this.#quitting) return;
      event.preventDefault();
      window.hide();
    });
    window.on('closed', () => {
      this.#window = null;
    });
    void window.loadURL(this.#deps.rendererUrl);
    this.#window = window;
    return window;
  }
}
