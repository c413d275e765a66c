// The Electron main side of the contract: one `ipcMain.handle` per contract call, each checking its sender
// and then running the shared dispatcher (input validation, error classification).
import type { IpcMain } from 'electron';
import {
  CALL_NAMES,
  callChannel,
  dispatchCall,
  type CallResult,
  type ContractHandlers,
} from '../../../src-shared/ipc/index.ts';
import type { SenderCheck, SenderEvent } from './sender-check.ts';

export interface RegisterContractIpcInit {
  readonly ipcMain: Pick<IpcMain, 'handle' | 'removeHandler'>;
  readonly handlers: ContractHandlers<AbortSignal>;
  readonly isTrustedSender: SenderCheck;
  /** Aborted when the app quits: long calls see it through their context. */
  readonly signal: AbortSignal;
  readonly onInternalError?: (error: unknown, call: string) => void;
  /** Told about every refused sender, for the log. */
  readonly onRefused?: (call: string, url: string) => void;
}

const FORBIDDEN: CallResult = {
  ok: false,
  error: { kind: 'forbidden', message: 'This window may not talk to OpenGateway.' },
};

/** Registers every call of the contract; returns a function that removes them again. */
export function registerContractIpc(init: RegisterContractIpcInit): () => void {
  for (const name of CALL_NAMES) {
    init.ipcMain.handle(callChannel(name), (event: SenderEvent, input: unknown) => {
      if (!init.isTrustedSender(event)) {
        init.onRefused?.(name, event.senderFrame?.url ?? '(no frame)');
        return Promise.resolve(FORBIDDEN);
      }
      return dispatchCall(init.handlers, name, input, { signal: init.signal }, init);
    });
  }
  return () => {
    for (const name of CALL_NAMES) init.ipcMain.removeHandler(callChannel(name));
  };
}
