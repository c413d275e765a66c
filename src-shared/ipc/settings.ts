// Contributor controls (DESIGN.md §10). The node applies the caps; the desktop shell adds start-at-login.
import { boolean, integer, nullable, number, object, optional, type Infer } from './schema.ts';

export const SETTINGS_LIMITS = {
  idleMinutes: { min: 1, max: 240 },
  gpuMemoryShare: { min: 0.1, max: 1 },
  maxConcurrentRequests: { min: 1, max: 16 },
  /** Bytes per second the node may send to peers seeding model files; 0: no cap. */
  uploadBytesPerSecond: { min: 0, max: 1e10 },
} as const;

const idleMinutes = integer(SETTINGS_LIMITS.idleMinutes.min, SETTINGS_LIMITS.idleMinutes.max);
const gpuMemoryShare = number(SETTINGS_LIMITS.gpuMemoryShare);
const maxConcurrentRequests = integer(
  SETTINGS_LIMITS.maxConcurrentRequests.min,
  SETTINGS_LIMITS.maxConcurrentRequests.max,
);
const uploadBytesPerSecond = integer(
  SETTINGS_LIMITS.uploadBytesPerSecond.min,
  SETTINGS_LIMITS.uploadBytesPerSecond.max,
);

export const settingsSchema = object({
  /** Contribute only after the computer has been idle for `idleMinutes`. */
  idleOnly: boolean(),
  idleMinutes,
  /** Share of GPU memory the engines may use, 0.1–1. */
  gpuMemoryShare,
  maxConcurrentRequests,
  /** Upload cap for seeding model files to region peers, bytes/s (0: no cap). */
  uploadBytesPerSecond,
  /** Null where there is no such thing (a headless node: use systemd or similar). */
  startAtLogin: nullable(boolean()),
});
export type Settings = Infer<typeof settingsSchema>;

export const settingsPatchSchema = object({
  idleOnly: optional(boolean()),
  idleMinutes: optional(idleMinutes),
  gpuMemoryShare: optional(gpuMemoryShare),
  maxConcurrentRequests: optional(maxConcurrentRequests),
  uploadBytesPerSecond: optional(uploadBytesPerSecond),
  startAtLogin: optional(boolean()),
});
export type SettingsPatch = Infer<typeof settingsPatchSchema>;

export const DEFAULT_SETTINGS: Settings = {
  idleOnly: false,
  idleMinutes: 10,
  gpuMemoryShare: 0.8,
  maxConcurrentRequests: 2,
  // Modest, so seeding never crowds out the contributor's own connection.
  uploadBytesPerSecond: 5 * 1024 * 1024,
  startAtLogin: false,
};
