// When to restart a crashed engine: exponential backoff between attempts, reset once the engine has been
// healthy again, and a limit after which a crash loop is reported instead of retried forever.

export interface RestartBackoffInit {
  /** Delay before the first restart. Default 1 s. */
  readonly initialDelayMs?: number;
  /** Longest delay between restarts. Default 60 s. */
  readonly maxDelayMs?: number;
  /** Crashes in a row (without becoming healthy in between) before giving up. Default 5. */
  readonly maxConsecutiveCrashes?: number;
}

export const DEFAULT_RESTART_BACKOFF = {
  initialDelayMs: 1_000,
  maxDelayMs: 60_000,
  maxConsecutiveCrashes: 5,
} as const;

export type RestartDecision =
  | { readonly restart: true; readonly delayMs: number; readonly attempt: number }
  | { readonly restart: false; readonly crashes: number };

export class RestartBackoff {
  readonly #initialDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #maxCrashes: number;
  #crashes = 0;

  constructor(init: RestartBackoffInit = {}) {
    this.#initialDelayMs = init.initialDelayMs ?? DEFAULT_RESTART_BACKOFF.initialDelayMs;
    this.#maxDelayMs = init.maxDelayMs ?? DEFAULT_RESTART_BACKOFF.maxDelayMs;
    this.#maxCrashes = init.maxConsecutiveCrashes ?? DEFAULT_RESTART_BACKOFF.maxConsecutiveCrashes;
  }

  /** Crashes since the engine was last healthy. */
  get consecutiveCrashes(): number {
    return this.#crashes;
  }

  /** A crash happened: restart after the returned delay, or give up. */
  recordCrash(): RestartDecision {
    this.#crashes += 1;
    if (this.#crashes >= this.#maxCrashes) return { restart: false, crashes: this.#crashes };
    const delayMs = Math.min(this.#maxDelayMs, this.#initialDelayMs * 2 ** (this.#crashes - 1));
    return { restart: true, delayMs, attempt: this.#crashes };
  }

  /** The engine is serving again: the next crash starts from the shortest delay. */
  recordHealthy(): void {
    this.#crashes = 0;
  }
}
