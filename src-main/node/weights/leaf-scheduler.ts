// Which source fetches which leaf. Peers take missing leaves from the front of the file, each with a few
// requests in flight; the HTTP origin takes runs of leaves from the back, so the two never ask for the same
// bytes and the faster side simply covers more of the file before they meet. The origin joins when peers
// are few (fewer than `minPeers` providers) or slow (below `slowPeerBytesPerSecond` over the last seconds),
// never otherwise, so a healthy region spares the origin entirely. A peer whose requests fail or time out
// `maxStrikes` times in a row is dropped (bitswap drops a block whose hash is wrong, so a peer sending
// corrupted blocks shows up here as a peer whose requests never complete).
import type { FileLeaf } from './file-layout.ts';

/** One provider peer, as the scheduler uses it: fetch one block (verified and stored) or fail. */
export interface PeerLeafSource {
  readonly peerId: string;
  fetch(leaf: FileLeaf, signal: AbortSignal): Promise<void>;
}

/** The origin: fetch a run of consecutive leaves (verified and stored) or fail. */
export interface OriginLeafSource {
  fetch(leaves: readonly FileLeaf[], signal: AbortSignal): Promise<void>;
}

export type OriginMode = 'auto' | 'always' | 'never';

export interface LeafSchedulerPolicy {
  /** auto: only when peers are few or slow; always: from the start (bench "both"); never: peers only. */
  readonly originMode: OriginMode;
  /** Fewer providers than this → the origin joins at once. */
  readonly minPeers: number;
  /** Peers together slower than this (bytes/s over `rateWindowMs`) → the origin joins. */
  readonly slowPeerBytesPerSecond: number;
  readonly rateWindowMs: number;
  /** Requests in flight per peer (bitswap answers one want per message; a few hide the round trip). */
  readonly peerDepth: number;
  /** One block request longer than this counts as a failure. */
  readonly blockTimeoutMs: number;
  /** Failures in a row (no verified block in between) before a peer is dropped: above `peerDepth`, so one
   * burst of slow answers does not drop a healthy peer. */
  readonly maxStrikes: number;
  /** Leaves per origin request (1 MiB each). */
  readonly originSpanLeaves: number;
  readonly originConcurrency: number;
  /** Origin failures in a row before it is given up (the peers may still finish). */
  readonly originMaxFailures: number;
  /** With no source left and leaves missing, wait this long for a provider before failing. */
  readonly stallTimeoutMs: number;
}

export const DEFAULT_LEAF_SCHEDULER_POLICY: LeafSchedulerPolicy = {
  originMode: 'auto',
  minPeers: 2,
  slowPeerBytesPerSecond: 4 * 1024 * 1024,
  rateWindowMs: 5000,
  peerDepth: 4,
  blockTimeoutMs: 30_000,
  maxStrikes: 8,
  originSpanLeaves: 8,
  originConcurrency: 2,
  originMaxFailures: 5,
  stallTimeoutMs: 60_000,
};

/** Bytes fetched so far by source (leaves already on disk at the start count as neither). */
export interface LeafSourceCounts {
  readonly peerBytes: number;
  readonly originBytes: number;
  /** Peers currently used as sources. */
  readonly activePeers: number;
  readonly originActive: boolean;
}

export interface LeafSchedulerHooks {
  /** The providers known now (called every second; new ones are added, dropped ones stay dropped). */
  readonly peers: () => readonly PeerLeafSource[];
  readonly origin: OriginLeafSource | null;
  /** `from`: the peer id, or 'origin'. */
  readonly onLeaf?: (leaf: FileLeaf, from: string, counts: LeafSourceCounts) => void;
  readonly onPeerDropped?: (peerId: string, reason: string) => void;
  readonly now?: () => number;
}

/** No source could deliver the remaining leaves. */
export class LeafSchedulerStalledError extends Error {
  override readonly name = 'LeafSchedulerStalledError';
}

/** Fetch every leaf of `missing`; resolves when all are stored, rejects with LeafSchedulerStalledError. */
export async function fetchLeaves(
  missing: readonly FileLeaf[],
  hooks: LeafSchedulerHooks,
  policy: LeafSchedulerPolicy,
  signal?: AbortSignal,
): Promise<void> {
  const now = hooks.now ?? Date.now;
  const queue = [...missing];
  let inFlight = 0;
  let done = 0;
  let peerBytes = 0;
  let originBytes = 0;
  const peerSamples: { at: number; bytes: number }[] = [{ at: now(), bytes: 0 }];
  const peers = new Map<string, { strikes: number; dropped: boolean; controller: AbortController }>();
  let originFailures = 0;
  let originStarted = false;
  let originGivenUp = hooks.origin === null || policy.originMode === 'never';
  let lastProgressAt = now();
  let wake: (() => void) | null = null;
  const changed = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const waitForChange = () =>
    new Promise<void>((resolve) => {
      const prior = wake;
      wake = () => {
        prior?.();
        resolve();
      };
    });
  const counts = (): LeafSourceCounts => ({
    peerBytes,
    originBytes,
    activePeers: [...peers.values()].filter((p) => !p.dropped).length,
    originActive: originStarted && !originGivenUp,
  });
  const finished = () => done === missing.length;

  const peerWorker = async (source: PeerLeafSource) => {
    const state = peers.get(source.peerId)!;
    while (!finished() && !state.dropped && !signal?.aborted) {
      const leaf = queue.shift();
      if (leaf === undefined) {
        await waitForChange();
        continue;
      }
      inFlight++;
      const timeout = AbortSignal.timeout(policy.blockTimeoutMs);
      const requestSignal = AbortSignal.any([state.controller.signal, timeout, ...(signal ? [signal] : [])]);
      try {
        await source.fetch(leaf, requestSignal);
        state.strikes = 0;
        done++;
        peerBytes += leaf.size;
        lastProgressAt = now();
        peerSamples.push({ at: now(), bytes: peerBytes });
        hooks.onLeaf?.(leaf, source.peerId, counts());
      } catch (error) {
        queue.unshift(leaf); // Someone else takes it next.
        if (signal?.aborted || state.dropped) continue;
        state.strikes++;
        if (state.strikes >= policy.maxStrikes) {
          state.dropped = true;
          state.controller.abort();
          const reason = timeout.aborted
            ? `no verified block within ${policy.blockTimeoutMs / 1000} s`
            : (error as Error).message;
          hooks.onPeerDropped?.(source.peerId, reason);
        }
      } finally {
        inFlight--;
        changed();
      }
    }
  };

  const originWorker = async (origin: OriginLeafSource) => {
    while (!finished() && !originGivenUp && !signal?.aborted) {
      // A run of consecutive leaves from the back of the queue.
      const span: FileLeaf[] = [];
      while (span.length < policy.originSpanLeaves) {
        const last = queue.at(-1);
        if (last === undefined) break;
        const head = span[0];
        if (head !== undefined && last.offset + last.size !== head.offset) break;
        span.unshift(queue.pop()!);
      }
      if (span.length === 0) {
        await waitForChange();
        continue;
      }
      inFlight++;
      let stored = 0;
      try {
        await origin.fetch(span, signal ?? new AbortController().signal);
        stored = span.length;
        originFailures = 0;
      } catch {
        originFailures++;
        if (originFailures >= policy.originMaxFailures) originGivenUp = true;
      } finally {
        inFlight--;
      }
      for (const leaf of span.slice(0, stored)) {
        done++;
        originBytes += leaf.size;
        hooks.onLeaf?.(leaf, 'origin', counts());
      }
      if (stored > 0) lastProgressAt = now();
      else queue.push(...span);
      changed();
    }
  };

  const workers: Promise<void>[] = [];
  const startOrigin = () => {
    if (originStarted || originGivenUp || hooks.origin === null) return;
    originStarted = true;
    for (let i = 0; i < policy.originConcurrency; i++) workers.push(originWorker(hooks.origin));
  };
  const addPeers = () => {
    for (const source of hooks.peers()) {
      if (peers.has(source.peerId)) continue;
      peers.set(source.peerId, { strikes: 0, dropped: false, controller: new AbortController() });
      for (let i = 0; i < policy.peerDepth; i++) workers.push(peerWorker(source));
    }
  };
  const peerRate = () => {
    const at = now();
    while (peerSamples.length > 1 && at - peerSamples[0]!.at > policy.rateWindowMs) peerSamples.shift();
    const first = peerSamples[0]!;
    const seconds = (at - first.at) / 1000;
    return seconds > 0 ? (peerBytes - first.bytes) / seconds : Infinity;
  };
  const startedAt = now();
  const review = () => {
    addPeers();
    if (policy.originMode === 'always') startOrigin();
    else if (policy.originMode === 'auto') {
      const alive = counts().activePeers;
      const judged = now() - startedAt >= policy.rateWindowMs;
      if (alive < policy.minPeers || (judged && peerRate() < policy.slowPeerBytesPerSecond)) startOrigin();
    }
  };

  const onAbort = () => changed();
  signal?.addEventListener('abort', onAbort);
  const ticker = setInterval(() => {
    review();
    changed();
  }, 1000);
  try {
    review();
    while (!finished()) {
      signal?.throwIfAborted();
      const anySource = counts().activePeers > 0 || (originStarted && !originGivenUp);
      if (!anySource && inFlight === 0 && now() - lastProgressAt > policy.stallTimeoutMs)
        throw new LeafSchedulerStalledError(
          `${missing.length - done} blocks missing and no peer or server left to send them`,
        );
      await waitForChange();
    }
  } finally {
    clearInterval(ticker);
    signal?.removeEventListener('abort', onAbort);
    for (const state of peers.values()) state.controller.abort();
    changed();
    await Promise.allSettled(workers);
  }
  signal?.throwIfAborted();
}
