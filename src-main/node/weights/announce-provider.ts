// Keeping a seeded file's provider record in the DHT: put it, and again after a failure (a lone node has
// nobody to store it with) backing off to once a minute, or at once when a peer connects; then refresh it
// well within the records' lifetime, for as long as the file is seeded.
import type { Libp2p } from '@libp2p/interface';
import { CID } from 'multiformats/cid';
import { sleep } from './abortable-sleep.ts';
import { weightsProviderKey } from './provider-key.ts';

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

/** The provider records of the files a node seeds, under its current region's keys (none without a region). */
export class RegionAnnouncements {
  readonly #libp2p: Libp2p;
  #region: string | null;
  /** Root CID → the loop keeping its provider record. */
  readonly #loops = new Map<string, AbortController>();

  constructor(libp2p: Libp2p, region: string | null) {
    this.#libp2p = libp2p;
    this.#region = region;
  }

  get region(): string | null {
    return this.#region;
  }

  /** The region changed (or became known): every file is announced again, in the new region only. */
  setRegion(region: string | null): void {
    if (region === this.#region) return;
    this.#region = region;
    for (const cid of [...this.#loops.keys()]) this.announce(cid);
  }

  /** Keep `cid`'s record in the DHT under the current region's key (restarting any earlier loop). */
  announce(cid: string): void {
    this.withdraw(cid);
    const announcing = new AbortController();
    this.#loops.set(cid, announcing);
    const region = this.#region;
    // Without a region the entry stays (a later region announces it) but nothing is put in the DHT.
    if (region === null) return;
    void weightsProviderKey(region, CID.parse(cid)).then((key) => {
      if (!announcing.signal.aborted) announceProvider(this.#libp2p, key, announcing.signal);
    });
  }

  withdraw(cid: string): void {
    this.#loops.get(cid)?.abort();
    this.#loops.delete(cid);
  }

  clear(): void {
    for (const controller of this.#loops.values()) controller.abort();
    this.#loops.clear();
  }
}
