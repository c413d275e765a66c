import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { UpdateController } from '../../../../src-main/app/updater/update-controller.ts';
import {
  UpdateSignatureInvalidError,
  type VerifyDownloadedUpdate,
} from '../../../../src-main/app/updater/update-verifier.ts';
import type { UpdateState } from '../../../../src-shared/ipc/index.ts';

class FakeAutoUpdater extends EventEmitter {
  autoDownload = false;
  autoInstallOnAppQuit = false;
  checkForUpdates = vi.fn(() => Promise.resolve(null));
  quitAndInstall = vi.fn();
}

/** A release-signature check that accepts the files it was told are signed (the real one: update-feed.test). */
function verifierOf(signed: ReadonlySet<string>): VerifyDownloadedUpdate {
  return ({ version, downloadedFile }) =>
    signed.has(downloadedFile)
      ? Promise.resolve()
      : Promise.reject(new UpdateSignatureInvalidError(`The update to ${version} is not signed.`));
}

function setup(
  enabled = true,
  verifyDownload: VerifyDownloadedUpdate | null = verifierOf(new Set(['/u/a'])),
) {
  const updater = new FakeAutoUpdater();
  const published: UpdateState[] = [];
  const timers: { callback: () => void; ms: number }[] = [];
  const controller = new UpdateController({
    autoUpdater: updater,
    enabled,
    verifyDownload,
    publish: (state) => published.push(state),
    firstCheckDelayMs: 90_000,
    checkIntervalMs: 3_600_000,
    now: () => 1234,
    setTimeout: (callback, ms) => timers.push({ callback, ms }),
    clearTimeout: () => {},
  });
  return { updater, published, timers, controller };
}

describe('UpdateController', () => {
  it('downloads in the background; electron-updater never installs an unchecked file on quit', () => {
    const { updater } = setup();
    expect(updater.autoDownload).toBe(true);
    expect(updater.autoInstallOnAppQuit).toBe(false);
  });

  it('installs on quit only a download whose signature verified', async () => {
    const { updater, controller, published } = setup();
    updater.emit('update-downloaded', { version: '0.2.0', downloadedFile: '/u/evil' });
    await vi.waitFor(() => expect(controller.state.state).toBe('error'));
    expect(published.at(-1)).toEqual({ state: 'error', message: 'The update to 0.2.0 is not signed.' });
    expect(controller.installOnQuit()).toBe(false);
    expect(controller.installNow()).toBe(false);
    expect(updater.quitAndInstall).not.toHaveBeenCalled();
    // The updater's event without a file is refused too.
    updater.emit('update-downloaded', { version: '0.2.0' });
    await vi.waitFor(() => expect(published.at(-1)?.state).toBe('error'));
    expect(controller.installOnQuit()).toBe(false);

    updater.emit('update-downloaded', { version: '0.2.0', downloadedFile: '/u/a' });
    await vi.waitFor(() => expect(controller.state).toEqual({ state: 'downloaded', version: '0.2.0' }));
    expect(controller.installOnQuit()).toBe(true);
    expect(updater.quitAndInstall).toHaveBeenCalledWith(true, false);
    // Once handed over, quitting does not install it twice.
    expect(controller.installOnQuit()).toBe(false);
  });

  it('a build without a release key does not update itself, and says why', () => {
    const { updater, timers, controller } = setup(true, null);
    controller.start();
    expect(timers).toEqual([]);
    expect(updater.autoDownload).toBe(false);
    expect(controller.state).toEqual({
      state: 'unsupported',
      reason: 'This build has no release key to check updates against, so it does not update itself.',
    });
  });

  it('checks only after a delay, then on an interval', () => {
    const { updater, timers, controller } = setup();
    controller.start();
    expect(updater.checkForUpdates).not.toHaveBeenCalled();
    expect(timers.map((timer) => timer.ms)).toEqual([90_000]);
    timers[0]?.callback();
    expect(updater.checkForUpdates).toHaveBeenCalledOnce();
    expect(timers.map((timer) => timer.ms)).toEqual([90_000, 3_600_000]);
  });

  it('turns every updater event into a state for the UI', async () => {
    const { updater, published, controller } = setup();
    updater.emit('checking-for-update');
    updater.emit('update-available', { version: '0.2.0' });
    updater.emit('download-progress', { percent: 42.5 });
    updater.emit('update-downloaded', { version: '0.2.0', downloadedFile: '/u/a' });
    await vi.waitFor(() => expect(controller.state.state).toBe('downloaded'));
    expect(published).toEqual([
      { state: 'checking' },
      { state: 'available', version: '0.2.0' },
      { state: 'downloading', version: '0.2.0', percent: 42.5 },
      // While the signature is checked.
      { state: 'downloading', version: '0.2.0', percent: 100 },
      { state: 'downloaded', version: '0.2.0' },
    ]);
    expect(controller.installNow()).toBe(true);
    expect(updater.quitAndInstall).toHaveBeenCalledWith(false, true);
    updater.emit('update-not-available');
    updater.emit('error', new Error('net::ERR_INTERNET_DISCONNECTED\n    at stack'));
    expect(published.slice(-2)).toEqual([
      { state: 'up-to-date', checkedAt: 1234 },
      { state: 'error', message: 'net::ERR_INTERNET_DISCONNECTED' },
    ]);
  });

  it('does nothing in development builds and says why', () => {
    const { updater, timers, controller } = setup(false);
    controller.start();
    expect(timers).toEqual([]);
    expect(updater.autoDownload).toBe(false);
    expect(controller.state.state).toBe('unsupported');
    expect(controller.installNow()).toBe(false);
  });
});
