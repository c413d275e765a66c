// The contract the shell shows when the node could not be started: the window and tray still work and say
// what went wrong, instead of the app dying silently in the tray.
import { ExpectedError } from '../../src-shared/errors/expected-error.ts';
import { createNotificationHub, DEFAULT_SETTINGS, type Settings } from '../../src-shared/ipc/index.ts';
import type { ContractSurface, NodeHandle } from './node-handle.ts';

class NodeNotRunningError extends ExpectedError {
  override readonly name = 'NodeNotRunningError';
}

/** A node handle that never ran: starting it shows `message` through the shell. */
export function createFailedNodeHandle(message: string, dataDir: string, version: string): NodeHandle {
  return {
    start: (front) => {
      front(failedNodeContract(message, dataDir, version));
      return Promise.resolve();
    },
    stop: () => Promise.resolve(),
  };
}

export function failedNodeContract(message: string, dataDir: string, version: string): ContractSurface {
  let settings: Settings = DEFAULT_SETTINGS;
  const notRunning = (): never => {
    throw new NodeNotRunningError(`OpenGateway’s node is not running: ${message}`);
  };
  return {
    notifications: createNotificationHub(),
    handlers: {
      getStatus: () => Promise.resolve({ status: 'error', message }),
      getOnboarding: () => Promise.resolve([]),
      getResources: () => Promise.resolve({ profile: null, tiers: [] }),
      getRegion: () => Promise.resolve({ region: null, source: 'unknown', country: null, detail: null }),
      setRegion: () => Promise.resolve(notRunning()),
      getClusters: () => Promise.resolve([]),
      getTierModels: () => Promise.resolve([]),
      getEngines: () => Promise.resolve({ tiers: [], exoInstalled: false, server: null }),
      setTierEngine: () => Promise.resolve(notRunning()),
      setEngineServer: () => Promise.resolve(notRunning()),
      getClusterMembers: () => Promise.resolve([]),
      getEngineLogs: () => Promise.resolve({ lines: [] }),
      // Not running means not known: no made-up zero balance.
      getBalance: () => Promise.resolve(null),
      getEarnings: () => Promise.resolve(null),
      getChatModels: () => Promise.resolve([]),
      estimateChat: () => Promise.resolve(notRunning()),
      sendChat: () => Promise.resolve(notRunning()),
      cancelChat: () => Promise.resolve({ cancelled: false }),
      getSettings: () => Promise.resolve(settings),
      updateSettings: (patch) => {
        settings = { ...settings, ...patch };
        return Promise.resolve(settings);
      },
      pause: () => Promise.resolve(notRunning()),
      resume: () => Promise.resolve(notRunning()),
      getAppInfo: () =>
        Promise.resolve({ version, shell: 'desktop', dataDir, localApi: null, network: null }),
      getUpdateState: () => Promise.resolve({ state: 'idle' }),
      installUpdate: () => Promise.resolve(null),
      // The window shows the error, not the welcome: there is no node to consent for.
      getFirstRun: () => Promise.resolve({ completed: false, contribute: null, completedAt: null }),
      completeFirstRun: () => Promise.resolve(notRunning()),
    },
  };
}
