// Which peers hold a file: the private DHT's provider records under its key (provider-key.ts: the root CID
// within the node's region). A lookup reports each
// provider as it arrives (the first one can start the transfer while the query still runs), and repeats
// beside the transfer so a peer that finishes its own download joins as a source.
import type { Libp2p } from '@libp2p/interface';
import type { CID } from 'multiformats/cid';
import { sleep } from './abortable-sleep.ts';

const LOOKUP_TIMEOUT_MS = 15_000;
const LOOKUP_INTERVAL_MS = 10_000;

/** Calls `onProvider` for each peer the DHT names under `key` (never ourselves); resolves when done. */
export async function lookUpProviders(
  libp2p: Libp2p,
  key: CID,
  onProvider: (peerId: string) => void,
  signal?: AbortSignal,
): Promise<number> {
  const self = libp2p.peerId.toString();
  const seen = new Set<string>();
  const lookup = AbortSignal.any([AbortSignal.timeout(LOOKUP_TIMEOUT_MS), ...(signal ? [signal] : [])]);
  try {
    for await (const provider of libp2p.contentRouting.findProviders(key, { signal: lookup })) {
      const id = provider.id.toString();
      if (id === self || seen.has(id)) continue;
      seen.add(id);
      if (provider.multiaddrs.length > 0)
        await libp2p.peerStore.merge(provider.id, { multiaddrs: provider.multiaddrs }).catch(() => undefined);
      onProvider(id);
    }
  } catch (error) {
    signal?.throwIfAborted();
    // A lookup that timed out after finding someone found enough.
    if (seen.size === 0 && !lookup.aborted) throw error;
  }
  return seen.size;
}

/**
 * Look providers up now and every `LOOKUP_INTERVAL_MS` until `signal` aborts. The promise it returns
 * resolves at the first provider found or when the first lookup ends, whichever comes first.
 */
export function watchProviders(
  libp2p: Libp2p,
  key: CID,
  onProvider: (peerId: string) => void,
  signal: AbortSignal,
): Promise<void> {
  let firstDone: () => void = () => undefined;
  const first = new Promise<void>((resolve) => (firstDone = resolve));
  const report = (peerId: string) => {
    onProvider(peerId);
    firstDone();
  };
  void (async () => {
    while (!signal.aborted) {
      try {
        await lookUpProviders(libp2p, key, report, signal);
      } catch {
        // No DHT peer answered this time; the next round may.
      }
      firstDone();
      await sleep(LOOKUP_INTERVAL_MS, signal).catch(() => undefined);
    }
    firstDone();
  })();
  return first;
}
