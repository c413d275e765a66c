import { describe, expect, it, vi } from 'vitest';
import {
  CONTENT_SECURITY_POLICY,
  hardenSession,
  hardenWebContents,
  MainWindowController,
  mainWindowOptions,
} from '../../../../src-main/app/window/main-window.ts';
import { BrowserWindow, FakeWebContents, session } from '../electron-mock.ts';

describe('the main window', () => {
  it('is isolated and sandboxed with no Node in the page', () => {
    const options = mainWindowOptions('/app/out/preload/index.cjs', false);
    expect(options.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      devTools: false,
    });
    expect(options.show).toBe(false);
  });

  it('denies navigation and new windows, opening only https links in the browser', () => {
    const contents = new FakeWebContents();
    const openExternal = vi.fn();
    hardenWebContents(contents as never, openExternal);
    expect(contents.emitPreventable('will-navigate', 'https://evil.example')).toBe(true);
    expect(contents.emitPreventable('will-redirect', 'https://evil.example')).toBe(true);
    expect(contents.emitPreventable('will-attach-webview')).toBe(true);
    expect(contents.windowOpenHandler?.({ url: 'https://db-ip.com' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: 'file:///etc/passwd' })).toEqual({ action: 'deny' });
    expect(contents.windowOpenHandler?.({ url: 'javascript:alert(1)' })).toEqual({ action: 'deny' });
    expect(openExternal).toHaveBeenCalledExactlyOnceWith('https://db-ip.com');
  });

  it('refuses every permission and sets the CSP on responses', () => {
    const target = session.defaultSession;
    hardenSession(target as never);
    const answer = vi.fn();
    target.permissionRequestHandler?.({}, 'media', answer);
    expect(answer).toHaveBeenCalledWith(false);
    expect(target.permissionCheckHandler?.()).toBe(false);
    const respond = vi.fn();
    target.headersListener?.({ responseHeaders: { 'X-Other': ['1'] } }, respond);
    expect(respond).toHaveBeenCalledWith({
      responseHeaders: { 'X-Other': ['1'], 'Content-Security-Policy': [CONTENT_SECURITY_POLICY] },
    });
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self'");
    expect(CONTENT_SECURITY_POLICY).not.toContain('unsafe-eval');
  });

  it('hides instead of closing until the app quits', () => {
    const controller = new MainWindowController({
      createWindow: (options) => new BrowserWindow(options as Record<string, unknown>) as never,
      preloadPath: '/p.cjs',
      rendererUrl: 'file:///app/index.html',
      devTools: false,
      openExternal: vi.fn(),
    });
    controller.show();
    const window = BrowserWindow.instances.at(-1) as BrowserWindow;
    expect(window.loadedUrl).toBe('file:///app/index.html');
    expect(window.visible).toBe(true);
    expect(controller.trustedWebContentsIds()).toEqual(new Set([window.webContents.id]));

    window.userCloses();
    expect(window.visible).toBe(false);
    expect(window.destroyed).toBe(false);

    controller.show();
    expect(BrowserWindow.instances.at(-1)).toBe(window); // re-shown, not re-created
    controller.allowClose();
    window.userCloses();
    expect(window.destroyed).toBe(true);
    expect(controller.trustedWebContentsIds().size).toBe(0);
  });
});
