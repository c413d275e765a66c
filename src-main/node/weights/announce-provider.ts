// Keeping a seeded file's provider record in the DHT: put it, and again after a failure (a lone node has
// nobody to store it with) backing off to once a minute, or at once when a peer connects; then refresh it
// well within the records' lifetime, for as long as the file is seeded.
import type { Libp2p } from '@libp2p/interface';
import type { CID } from 'multiformats/cid';
import { sleep } from './abortable-sleep.ts';

/** Provider records live 48 h in kad-dht; refresh twice a day. */
const REFRESH_MS = 12 * 3600_000;
const PROVIDE_TIMEOUT_MS = 30_000;

/** Announce `root` until `signal` aborts. */
export function announceProvider(libp2p: Libp2p, root: CID, signal: AbortSignal): void {
  let wake: AbortController | null = null;
  const onConnect = () => wake?.abort();
  libp2p.addEventListener('peer:connect', onConnect);
  signal.addEventListener('abort', () => libp2p.removeEventListener('peer:connect', onConnect), {
    once: true,
  });
  void (async () => {
    let delay = 1000;
    while (!signal.aborted) {
      let ok = false;
      try {
        if (libp2p.getConnections().length > 0) {
          await libp2p.contentRouting.provide(root, {
            signal: AbortSignal.any([AbortSignal.timeout(PROVIDE_TIMEOUT_MS), signal]),
          });
          ok = true;
        }
      } catch {
        // Nobody took the record this time.
      }
      delay = ok ? REFRESH_MS : Math.min(60_000, delay * 2);
      const woken = new AbortController();
      wake = ok ? null : woken;
      await sleep(delay, AbortSignal.any([signal, woken.signal])).catch(() => undefined);
      wake = null;
      if (woken.signal.aborted) delay = 1000;
    }
  })();
}
