// The contract as the desktop window sees it: the node's handlers, with the calls the shell owns
// (pause/resume through idle-only mode, settings in electron-store, start at login, updates, app info).
import type {
  ContractHandlers,
  NotificationHub,
  Settings,
  SettingsPatch,
} from '../../src-shared/ipc/index.ts';
import { ExpectedError } from '../../src-shared/errors/expected-error.ts';
import type { ContributionController } from './contribution/contribution-controller.ts';
import type { ContractSurface } from './node-handle.ts';
import type { DesktopPreferences, PreferencesStore } from './settings/preferences-store.ts';
import type { UpdateController } from './updater/update-controller.ts';

/** installUpdate was asked of the browser dashboard. */
export class UpdateNotFromDashboardError extends ExpectedError {
  override readonly name = 'UpdateNotFromDashboardError';
}

export interface DesktopHandlersInit {
  /** The node's own calls. */
  readonly node: Pick<ContractSurface, 'handlers'>;
  readonly preferences: PreferencesStore;
  readonly contribution: ContributionController;
  readonly updates: UpdateController;
  readonly notifications: NotificationHub;
  readonly setStartAtLogin: (open: boolean) => void;
  /** Re-reads idle time after idle-only settings change. */
  readonly onIdleSettingsChanged: () => void;
  readonly version: string;
}

/** The caps the node enforces itself (everything but start-at-login). */
export function nodeSettingsOf(settings: Settings): SettingsPatch {
  const { startAtLogin: _desktopOnly, ...caps } = settings;
  return caps;
}

export function createDesktopHandlers(init: DesktopHandlersInit): ContractHandlers<AbortSignal> {
  const { node, preferences, contribution } = init;
  const save = (next: DesktopPreferences): void => {
    preferences.write(next);
    init.notifications.publish('settings', next.settings);
  };
  return {
    ...node.handlers,
    async pause(input) {
      // Only the user pauses through the UI; idle-only pauses come from the idle monitor.
      if (input.reason === 'waiting-for-idle') return contribution.apply();
      save({ ...preferences.read(), userPaused: true });
      return contribution.setUserPaused(true);
    },
    async resume() {
      save({ ...preferences.read(), userPaused: false });
      return contribution.setUserPaused(false);
    },
    getSettings: () => Promise.resolve(preferences.read().settings),
    async updateSettings(patch, context) {
      const current = preferences.read();
      const settings = {
        ...current.settings,
        ...patch,
        startAtLogin: patch.startAtLogin ?? current.settings.startAtLogin,
      };
      await node.handlers.updateSettings(nodeSettingsOf(settings), context);
      if (patch.startAtLogin !== undefined && patch.startAtLogin !== current.settings.startAtLogin)
        init.setStartAtLogin(patch.startAtLogin);
      save({ ...current, settings });
      if (patch.idleOnly !== undefined || patch.idleMinutes !== undefined) {
        init.onIdleSettingsChanged();
        await contribution.setIdleOnly(settings.idleOnly);
      }
      return settings;
    },
    async getAppInfo(input, context) {
      const info = await node.handlers.getAppInfo(input, context);
      return { ...info, shell: 'desktop', version: init.version };
    },
    async completeFirstRun(input, context) {
      const answer = await node.handlers.completeFirstRun(input, context);
      const current = preferences.read();
      // The welcome's answers are the user's own pause and start-at-login choices from then on.
      save({
        ...current,
        userPaused: !input.contribute,
        settings: { ...current.settings, startAtLogin: input.startAtLogin },
      });
      if (input.startAtLogin !== current.settings.startAtLogin) init.setStartAtLogin(input.startAtLogin);
      await contribution.setUserPaused(!input.contribute);
      return answer;
    },
    getUpdateState: () => Promise.resolve(init.updates.state),
    installUpdate() {
      init.updates.installNow();
      return Promise.resolve(null);
    },
  };
}

/**
 * The desktop's contract as the node's browser dashboard gets it: the same calls, except that a web page
 * (any local process that has the key) cannot restart the app into an update (security finding 27).
 */
export function dashboardHandlersOf(handlers: ContractHandlers<AbortSignal>): ContractHandlers<AbortSignal> {
  return {
    ...handlers,
    installUpdate() {
      throw new UpdateNotFromDashboardError(
        'Updates are installed from the OpenGateway window or its tray, not from the browser dashboard.',
      );
    },
  };
}
