import { describe, expect, it, vi } from 'vitest';
import { createPreloadApi } from '../../../src-renderer/preload/preload-api.ts';
import { callChannel, NOTIFY_CHANNEL } from '../../../src-shared/ipc/index.ts';

function fakeIpcRenderer() {
  const listeners = new Map<string, (event: unknown, message: unknown) => void>();
  return {
    invoke: vi.fn((_channel: string, _input: unknown) => Promise.resolve({ ok: true, output: null })),
    on: vi.fn((channel: string, listener: (event: unknown, message: unknown) => void) => {
      listeners.set(channel, listener);
    }),
    removeListener: vi.fn((channel: string) => void listeners.delete(channel)),
    emit: (channel: string, message: unknown) => listeners.get(channel)?.({ sender: 'secret' }, message),
    listeners,
  };
}

describe('the preload api', () => {
  it('invokes only the channel of a contract call', async () => {
    const ipc = fakeIpcRenderer();
    const api = createPreloadApi(ipc as never);
    await api.call('getStatus', null);
    expect(ipc.invoke).toHaveBeenCalledWith(callChannel('getStatus'), null);
    await expect(api.call('og:notify', null)).resolves.toMatchObject({
      ok: false,
      error: { kind: 'unknown-call' },
    });
    await expect(api.call('hasOwnProperty', null)).resolves.toMatchObject({ ok: false });
    expect(ipc.invoke).toHaveBeenCalledTimes(1);
  });

  it('passes notifications without the IPC event and stops on unsubscribe', () => {
    const ipc = fakeIpcRenderer();
    const api = createPreloadApi(ipc as never);
    const listener = vi.fn();
    const unsubscribe = api.subscribe(listener);
    ipc.emit(NOTIFY_CHANNEL, { name: 'status', payload: { status: 'starting' } });
    ipc.emit(NOTIFY_CHANNEL, 'garbage');
    expect(listener).toHaveBeenCalledExactlyOnceWith({ name: 'status', payload: { status: 'starting' } });
    unsubscribe();
    expect(ipc.listeners.size).toBe(0);
  });

  it('is frozen, so page scripts cannot swap its functions', () => {
    const api = createPreloadApi(fakeIpcRenderer() as never);
    expect(Object.isFrozen(api)).toBe(true);
  });
});
