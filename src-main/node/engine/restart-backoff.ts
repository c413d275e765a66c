// When to restart a crashed engine: exponential backoff between attempts, reset once the engine has been
// healthy for a while, and a limit after which a crash loop is reported instead of retried forever. "A while"
// matters: an engine that becomes ready and dies a second later, again and again, is still a crash loop.

export interface RestartBackoffInit {
  /** Delay before the first restart. Default 1 s. */
  readonly initialDelayMs?: number;
  /** Longest delay between restarts. Default 60 s. */
  readonly maxDelayMs?: number;
  /** Crashes in a row (without a healthy spell in between) before giving up. Default 5. */
  readonly maxConsecutiveCrashes?: number;
  /** How long an engine must stay healthy for its crash count to start again from zero. Default 60 s. */
  readonly stableAfterMs?: number;
}

export const DEFAULT_RESTART_BACKOFF = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxConsecutiveCrashes: 5,
  stableAfterMs: 60_000,
} as const;

export type RestartDecision =
  | { readonly restart: true; readonly delayMs: number; readonly attempt: number }
  | { readonly restart: false; readonly crashes: number };

export class RestartBackoff {
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxCrashes: number;
  readonly #stableAfterMs: number;
  #crashes = 0;
  #healthySince: number | null = null;

  constructor(init: RestartBackoffInit = {}) {
    this.#initialDelayMs = init.initialDelayMs ?? DEFAULT_RESTART_BACKOFF.initialDelayMs;
    this.#maxDelayMs = init.maxDelayMs ?? DEFAULT_RESTART_BACKOFF.maxDelayMs;
    this.#maxCrashes = init.maxConsecutiveCrashes ?? DEFAULT_RESTART_BACKOFF.maxConsecutiveCrashes;
    this.#stableAfterMs = init.stableAfterMs ?? DEFAULT_RESTART_BACKOFF.stableAfterMs;
  }

  /** Crashes since the engine was last healthy for long enough. */
  get consecutiveCrashes(): number {
    return this.#crashes;
  }

  /** A crash happened: restart after the returned delay, or give up. */
  recordCrash(now = Date.now()): RestartDecision {
    if (this.#healthySince !== null && now - this.#healthySince >= this.#stableAfterMs) this.#crashes = 0;
    this.#healthySince = null;
    this.#crashes += 1;
    if (this.#crashes >= this.#maxCrashes) return { restart: false, crashes: this.#crashes };
    const delayMs = Math.min(this.#maxDelayMs, this.#initialDelayMs * 2 ** (this.#crashes - 1));
    return { restart: true, delayMs, attempt: this.#crashes };
  }

  /** The engine is serving; if it keeps serving for `stableAfterMs`, the next crash counts from zero. */
  recordHealthy(now = Date.now()): void {
    this.#healthySince ??= now;
  }
}
