// The desktop's own settings in electron-store (DESIGN.md §10): the contributor controls plus whether the
// user paused. The file is user-editable, so it is validated on every read like any other input.
import Store from 'electron-store';
import {
  boolean,
  DEFAULT_SETTINGS,
  object,
  optional,
  settingsSchema,
  type Settings,
} from '../../../src-shared/ipc/index.ts';

export interface DesktopPreferences {
  /** `startAtLogin` is always a boolean on the desktop. */
  readonly settings: Settings & { readonly startAtLogin: boolean };
  /** The user's own pause survives restarts; idle-only pauses do not need to. */
  readonly userPaused: boolean;
  /** The tray's "find me here" notification was shown (once per installation). */
  readonly trayHintShown?: boolean;
}

export const DEFAULT_PREFERENCES: DesktopPreferences = {
  settings: { ...DEFAULT_SETTINGS, startAtLogin: false },
  userPaused: false,
};

const preferencesSchema = object({
  settings: settingsSchema,
  userPaused: boolean(),
  // Optional: files written before it existed stay valid.
  trayHintShown: optional(boolean()),
});

export interface PreferencesStore {
  read(): DesktopPreferences;
  write(preferences: DesktopPreferences): void;
}

/** Reads a stored value, falling back to the defaults (never crashing) when the file was hand-edited badly. */
export function parsePreferences(value: unknown): DesktopPreferences {
  try {
    const parsed = preferencesSchema.parse(value);
    return {
      ...parsed,
      settings: { ...parsed.settings, startAtLogin: parsed.settings.startAtLogin ?? false },
    };
  } catch {
    return DEFAULT_PREFERENCES;
  }
}

export function createPreferencesStore(options: { readonly cwd?: string } = {}): PreferencesStore {
  const store = new Store<{ preferences: DesktopPreferences }>({
    name: 'preferences',
    defaults: { preferences: DEFAULT_PREFERENCES },
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  return {
    read: () => parsePreferences(store.get('preferences')),
    write: (preferences) => store.set('preferences', preferences),
  };
}
