// Watches the system idle time (Electron's powerMonitor) for idle-only mode. Polling is what Electron
// offers; once a minute is plenty when the threshold is counted in minutes.
export interface IdleSource {
  /** Seconds since the last keyboard or mouse input. */
  getSystemIdleTime(): number;
}

export interface IdleMonitorInit {
  readonly source: IdleSource;
  readonly thresholdMinutes: () => number;
  readonly onChange: (idle: boolean) => void;
  readonly pollMs?: number;
  readonly setInterval?: (callback: () => void, ms: number) => unknown;
  readonly clearInterval?: (handle: unknown) => void;
}

export interface IdleMonitor {
  readonly idle: boolean;
  /** Re-reads the idle time now (after a settings change, a screen lock). */
  check(): void;
  stop(): void;
}

export function startIdleMonitor(init: IdleMonitorInit): IdleMonitor {
  const every = init.setInterval ?? ((callback, ms) => setInterval(callback, ms));
  const clear = init.clearInterval ?? ((handle) => clearInterval(handle as ReturnType<typeof setInterval>));
  let idle = false;
  const check = (): void => {
    const now = init.source.getSystemIdleTime() >= init.thresholdMinutes() * 60;
    if (now !== idle) {
      idle = now;
      init.onChange(idle);
    }
  };
  check();
  const handle = every(check, init.pollMs ?? 30_000);
  return {
    get idle() {
      return idle;
    },
    check,
    stop: () => clear(handle),
  };
}
