import { EventEmitter } from 'node:events';
import { describe, expect, it, vi } from 'vitest';
import { UpdateController } from '../../../../src-main/app/updater/update-controller.ts';
import type { UpdateState } from '../../../../src-shared/ipc/index.ts';

class FakeAutoUpdater extends EventEmitter {
  autoDownload = false;
  autoInstallOnAppQuit = false;
  checkForUpdates = vi.fn(() => Promise.resolve(null));
  quitAndInstall = vi.fn();
}

function setup(enabled = true) {
  const updater = new FakeAutoUpdater();
  const published: UpdateState[] = [];
  const timers: { callback: () => void; ms: number }[] = [];
  const controller = new UpdateController({
    autoUpdater: updater,
    enabled,
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
  it('downloads in the background and installs on quit', () => {
    const { updater } = setup();
    expect(updater.autoDownload).toBe(true);
    expect(updater.autoInstallOnAppQuit).toBe(true);
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

  it('turns every updater event into a state for the UI', () => {
    const { updater, published, controller } = setup();
    updater.emit('checking-for-update');
    updater.emit('update-available', { version: '0.2.0' });
    updater.emit('download-progress', { percent: 42.5 });
    updater.emit('update-downloaded', { version: '0.2.0' });
    expect(published).toEqual([
      { state: 'checking' },
      { state: 'available', version: '0.2.0' },
      { state: 'downloading', version: '0.2.0', percent: 42.5 },
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
