// The contract over Electron IPC: the preload's `window.api` already is a ContractTransport.
import { PRELOAD_API_KEY, type ContractTransport } from '../../../src-shared/ipc/index.ts';

/** The preload's transport when running inside the desktop app, or null in a plain browser. */
export function findElectronTransport(target: object = globalThis): ContractTransport | null {
  const candidate = (target as Record<string, unknown>)[PRELOAD_API_KEY];
  if (typeof candidate !== 'object' || candidate === null) return null;
  const api = candidate as Partial<ContractTransport>;
  return typeof api.call === 'function' && typeof api.subscribe === 'function'
    ? (api as ContractTransport)
    : null;
}
