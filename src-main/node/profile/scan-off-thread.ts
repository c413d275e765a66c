import { Worker } from 'node:worker_threads';
import { ProfileScanError } from './errors.ts';
import type { RawHardware } from './raw-hardware.ts';

const DEFAULT_TIMEOUT_MS = 30_000;
/** From source (Node 22, tests) the worker is the .ts file; in the desktop bundle it is built next to main.js. */
const PROFILE_WORKER = new URL(
  import.meta.url.endsWith('.ts') ? './profile-worker.ts' : './profile-worker.js',
  import.meta.url,
);

/** Reads the hardware in a worker thread, so vendor tools' synchronous calls never stall the event loop. */
export function readRawHardwareOffThread(
  dataDir: string,
  options: { signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<RawHardware> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(PROFILE_WORKER, { workerData: { dataDir } });
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      outcome();
    };
    const onAbort = () => finish(() => reject(new ProfileScanError('the hardware scan was cancelled')));
    const timer = setTimeout(
      () => finish(() => reject(new ProfileScanError('the hardware scan took too long'))),
      options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    );
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    worker.once('message', (message: { ok: true; raw: RawHardware } | { ok: false; message: string }) =>
      finish(() => (message.ok ? resolve(message.raw) : reject(new ProfileScanError(message.message)))),
    );
    worker.once('error', (error) => finish(() => reject(new ProfileScanError(error.message))));
    worker.once('exit', (code) =>
      finish(() => reject(new ProfileScanError(`scan worker exited with ${code}`))),
    );
  });
}
