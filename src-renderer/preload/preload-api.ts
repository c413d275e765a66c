// The preload's `api` object, derived from the contract: a ContractTransport over ipcRenderer that can
// reach only the contract's channels. The renderer never sees ipcRenderer or an IpcRendererEvent.
import type { IpcRenderer, IpcRendererEvent } from 'electron';
import {
  callChannel,
  isCallName,
  NOTIFY_CHANNEL,
  type CallResult,
  type ContractTransport,
  type RawNotification,
} from '../../src-shared/ipc/index.ts';

export function createPreloadApi(
  ipcRenderer: Pick<IpcRenderer, 'invoke' | 'on' | 'removeListener'>,
): ContractTransport {
  return Object.freeze({
    call(name: string, input: unknown): Promise<unknown> {
      if (!isCallName(name)) {
        const refused: CallResult = {
          ok: false,
          error: { kind: 'unknown-call', message: `There is no call named "${String(name).slice(0, 60)}".` },
        };
        return Promise.resolve(refused);
      }
      return ipcRenderer.invoke(callChannel(name), input);
    },
    subscribe(listener: (notification: RawNotification) => void): () => void {
      const handler = (_event: IpcRendererEvent, message: unknown): void => {
        if (typeof message !== 'object' || message === null) return;
        const { name, payload } = message as { name?: unknown; payload?: unknown };
        if (typeof name === 'string') listener({ name, payload });
      };
      ipcRenderer.on(NOTIFY_CHANNEL, handler);
      return () => {
        ipcRenderer.removeListener(NOTIFY_CHANNEL, handler);
      };
    },
  });
}
