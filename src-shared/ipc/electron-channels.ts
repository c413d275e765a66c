// Electron IPC channel names, derived from the contract so main and preload cannot disagree.
import type { CallName } from './contract.ts';

const CALL_PREFIX = 'og:call:';

/** One `ipcMain.handle` channel per contract call. */
export function callChannel(name: CallName): string {
  return `${CALL_PREFIX}${name}`;
}

/** Every notification travels on this one channel as `{ name, payload }`. */
export const NOTIFY_CHANNEL = 'og:notify';
