// Catching a peer that sends corrupted blocks. Bitswap names a block it receives by hashing its bytes, so a
// corrupted block arrives as a block nobody asked for, and bitswap drops it silently: the request it was
// meant to answer simply never completes (and the endgame may then fetch it elsewhere before any timeout).
// Here every block bitswap receives is checked against what we asked its sender for; one that matches
// nothing marks the sender as misbehaving at once, so the scheduler drops it and its gossip score suffers.
import type { CID } from 'multiformats/cid';
import { WeightsPeerRequestError } from './errors.ts';
import { blockKey } from './seeding-blockstore.ts';

/** What one fetch asked one peer for, and the signal that fires if the peer sends anything else. */
export interface WatchedPeer {
  readonly misbehaved: AbortSignal;
  asked(cid: CID): void;
  release(): void;
}

export class BlockArrivals {
  readonly #watched = new Map<string, Set<{ asked: Set<string>; controller: AbortController }>>();

  watch(peerId: string): WatchedPeer {
    const entry = { asked: new Set<string>(), controller: new AbortController() };
    let set = this.#watched.get(peerId);
    if (set === undefined) this.#watched.set(peerId, (set = new Set()));
    set.add(entry);
    return {
      misbehaved: entry.controller.signal,
      asked: (cid) => entry.asked.add(blockKey(cid)),
      release: () => {
        set.delete(entry);
        if (set.size === 0 && this.#watched.get(peerId) === set) this.#watched.delete(peerId);
      },
    };
  }

  /** Bitswap received `cid` (named by its bytes' hash) from `sender`. */
  received(sender: string, cid: CID): void {
    const entries = this.#watched.get(sender);
    if (entries === undefined) return;
    const key = blockKey(cid);
    for (const entry of entries) if (entry.asked.has(key)) return;
    for (const entry of entries)
      entry.controller.abort(
        new WeightsPeerRequestError(sender, 'sent a block that is not the one asked for (corrupted)'),
      );
  }
}

/** The block events of Helia's bitswap (not in its typed API: reached through its broker). */
export function onBitswapBlock(
  helia: object,
  listener: (sender: string, cid: CID) => void,
): (() => void) | null {
  const brokers = (helia as { blockBrokers?: unknown }).blockBrokers;
  if (!Array.isArray(brokers)) return null;
  const broker = brokers.find((b: { name?: unknown }) => b?.name === 'bitswap') as
    { bitswap?: { wantList?: EventTarget } } | undefined;
  const wantList = broker?.bitswap?.wantList;
  if (wantList === undefined || typeof wantList.addEventListener !== 'function') return null;
  const handler = (event: Event) => {
    const detail = (event as CustomEvent<{ sender?: { toString(): string }; cid?: CID }>).detail;
    if (detail?.sender !== undefined && detail.cid !== undefined)
      listener(detail.sender.toString(), detail.cid);
  };
  wantList.addEventListener('block', handler);
  return () => wantList.removeEventListener('block', handler);
}
