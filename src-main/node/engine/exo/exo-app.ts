// The EXO app (macOS) runs its own EXO with the API on 52415. A node that finds one answering there serves a
// tier through it instead of starting a second EXO beside it: two EXOs on one machine would split its memory,
// and the app's EXO (the one its owner set up and keeps running) would never serve the network.
import { DEFAULT_EXO_API_PORT, ExoApi } from './exo-api.ts';

export interface ExoAppProbeOptions {
  /** Where the app's API answers. Default 52415 (the app's port); tests use a free port. */
  readonly port?: number;
  readonly signal?: AbortSignal;
  /** Default 1.5 s: on loopback an absent app refuses at once; this bounds a hung one. */
  readonly timeoutMs?: number;
}

/** The app's API on this machine, as the engine reaches it. */
export function exoAppUrl(port: number = DEFAULT_EXO_API_PORT): string {
  return `http://127.0.0.1:${port}`;
}

/**
 * Whether an EXO of the instance-API generation (v1.0.60 or newer) answers at the app's port: it must answer
 * `GET /node_id` with an id. Anything else there (another program, an old exo) is not used.
 */
export async function isExoAppRunning(options: ExoAppProbeOptions = {}): Promise<boolean> {
  try {
    const id = await new ExoApi(exoAppUrl(options.port)).nodeId({
      ...(options.signal ? { signal: options.signal } : {}),
      timeoutMs: options.timeoutMs ?? 1_500,
    });
    return id.length > 0;
  } catch {
    return false;
  }
}
