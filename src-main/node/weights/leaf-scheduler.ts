// Which source fetches which leaf. Peers take missing leaves from the front of the file, each with a few
// requests in flight; the HTTP origin takes runs of leaves from the back, so the two never ask for the same
// bytes and the faster side simply covers more of the file before they meet. The origin joins when peers
// are few (fewer than `minPeers` providers) or slow (below `slowPeerBytesPerSecond` over the last seconds),
// never otherwise, so a healthy region spares the origin entirely. A peer whose requests fail or time out
// `maxStrikes` times in a row is dropped (bitswap drops a block whose hash is wrong, so a peer sending
// corrupted blocks shows up here as a peer whose requests never complete).
// Endgame: once no leaf is left unasked, an idle source asks again for a leaf another source still has in
// flight (the origin for a run of them), and the first copy stored cancels the others. So the origin never
// waits on a slow peer's last blocks, and one slow peer never holds up the end of a download.
import type { FileLeaf } from './file-layout.ts';

/** One provider peer, as the scheduler uses it: fetch one block (verified and stored) or fail. */
export interface PeerLeafSource {
  readonly peerId: string;
  /** Fires (with the reason) when the peer is caught sending something else than what it was asked for. */
  readonly misbehaved?: AbortSignal;
  fetch(leaf: FileLeaf, signal: AbortSignal): Promise<void>;
}

/** The origin: fetch a run of consecutive leaves (verified and stored) or fail. */
export interface OriginLeafSource {
  /** `onStored` as each leaf is stored (so a peer asking for the same leaf can be cancelled at once). */
  fetch(leaves: readonly FileLeaf[], signal: AbortSignal, onStored: (leaf: FileLeaf) => void): Promise<void>;
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
  /** Sources asking for one leaf at once in the endgame (1: no endgame). */
  readonly maxRequestsPerLeaf: number;
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
  maxRequestsPerLeaf: 3,
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
  /** `misbehaved`: caught sending something else than asked for (not merely slow or gone). */
  readonly onPeerDropped?: (peerId: string, reason: string, misbehaved: boolean) => void;
  readonly now?: () => number;
}

/** No source could deliver the remaining leaves. */
export class LeafSchedulerStalledError extends Error {
  override readonly name = 'LeafSchedulerStalledError';
}

/** One request in flight: who asked, for which leaves, and how to cancel it. */
interface LeafRequest {
  readonly from: string;
  readonly leaves: readonly FileLeaf[];
  readonly controller: AbortController;
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
  /** Leaf → the requests asking for it now. */
  const asked = new Map<FileLeaf, Set<LeafRequest>>();
  const stored = new Set<FileLeaf>();
  let inFlight = 0;
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
  const finished = () => stored.size === missing.length;

  const open = (from: string, leaves: readonly FileLeaf[]): LeafRequest => {
    const request = { from, leaves, controller: new AbortController() };
    for (const leaf of leaves) {
      let set = asked.get(leaf);
      if (set === undefined) asked.set(leaf, (set = new Set()));
      set.add(request);
    }
    inFlight++;
    return request;
  };
  /** The request ended: its leaves that nobody stored and nobody else is asking for go back in the queue. */
  const close = (request: LeafRequest, requeue: 'front' | 'back') => {
    inFlight--;
    const orphans: FileLeaf[] = [];
    for (const leaf of request.leaves) {
      const set = asked.get(leaf);
      set?.delete(request);
      if (set?.size === 0) asked.delete(leaf);
      // Only the last request asking for a leaf puts it back, so a leaf is never queued twice.
      if (!stored.has(leaf) && !asked.has(leaf)) orphans.push(leaf);
    }
    if (requeue === 'front') queue.unshift(...orphans);
    else queue.push(...orphans);
    changed();
  };
  /** A copy of `leaf` is stored: count it once, and cancel every other request left with nothing to do. */
  const store = (leaf: FileLeaf, from: string, by: LeafRequest) => {
    if (stored.has(leaf)) return;
    stored.add(leaf);
    lastProgressAt = now();
    if (from === 'origin') originBytes += leaf.size;
    else {
      peerBytes += leaf.size;
      peerSamples.push({ at: now(), bytes: peerBytes });
    }
    for (const other of asked.get(leaf) ?? []) {
      if (other !== by && other.leaves.every((l) => stored.has(l))) other.controller.abort();
    }
    hooks.onLeaf?.(leaf, from, counts());
    changed();
  };
  /** Endgame: leaves in flight that `from` is not asking for yet, least asked first, then from the front. */
  const endgameLeaves = (from: string): FileLeaf[] => {
    const candidates: FileLeaf[] = [];
    for (const [leaf, set] of asked) {
      if (stored.has(leaf) || set.size >= policy.maxRequestsPerLeaf) continue;
      if ([...set].some((request) => request.from === from)) continue;
      candidates.push(leaf);
    }
    return candidates.sort((a, b) => asked.get(a)!.size - asked.get(b)!.size || a.offset - b.offset);
  };

  const drop = (
    peerId: string,
    state: { dropped: boolean; controller: AbortController },
    reason: string,
    misbehaved: boolean,
  ) => {
    if (state.dropped) return;
    state.dropped = true;
    state.controller.abort();
    hooks.onPeerDropped?.(peerId, reason, misbehaved);
  };

  const peerWorker = async (source: PeerLeafSource) => {
    const state = peers.get(source.peerId)!;
    while (!finished() && !state.dropped && !signal?.aborted) {
      const leaf = queue.shift() ?? endgameLeaves(source.peerId)[0];
      if (leaf === undefined) {
        await waitForChange();
        continue;
      }
      const request = open(source.peerId, [leaf]);
      const timeout = AbortSignal.timeout(policy.blockTimeoutMs);
      const requestSignal = AbortSignal.any([
        state.controller.signal,
        request.controller.signal,
        timeout,
        ...(signal ? [signal] : []),
        ...(source.misbehaved ? [source.misbehaved] : []),
      ]);
      try {
        await source.fetch(leaf, requestSignal);
        state.strikes = 0;
        store(leaf, source.peerId, request);
      } catch (error) {
        if (signal?.aborted || state.dropped) continue;
        if (source.misbehaved?.aborted) {
          // Caught sending a corrupted block: dropped at once, whatever else it delivered.
          drop(source.peerId, state, describeFailure(source.misbehaved.reason), true);
          continue;
        }
        // Cancelled because another source stored the leaf first: not the peer's fault.
        if (stored.has(leaf)) continue;
        state.strikes++;
        if (state.strikes >= policy.maxStrikes) {
          const reason = timeout.aborted
            ? `no verified block within ${policy.blockTimeoutMs / 1000} s`
            : describeFailure(error);
          drop(source.peerId, state, reason, false);
        }
      } finally {
        close(request, 'front'); // Someone else takes it next.
      }
    }
  };

  const originWorker = async (origin: OriginLeafSource) => {
    while (!finished() && !originGivenUp && !signal?.aborted) {
      // A run of consecutive leaves from the back of the queue; once the queue is empty, from the back of
      // what peers still have in flight (the origin never waits for them).
      const span = backRun(queue, policy.originSpanLeaves, true);
      if (span.length === 0) {
        const duplicate = endgameLeaves('origin').sort((a, b) => a.offset - b.offset);
        span.push(...backRun(duplicate, policy.originSpanLeaves, false));
      }
      if (span.length === 0) {
        await waitForChange();
        continue;
      }
      const request = open('origin', span);
      const requestSignal = AbortSignal.any([request.controller.signal, ...(signal ? [signal] : [])]);
      try {
        await origin.fetch(span, requestSignal, (leaf) => store(leaf, 'origin', request));
        originFailures = 0;
      } catch {
        if (!request.controller.signal.aborted && !signal?.aborted) {
          originFailures++;
          if (originFailures >= policy.originMaxFailures) originGivenUp = true;
        }
      } finally {
        close(request, 'back');
      }
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
          `${missing.length - stored.size} blocks missing and no peer or server left to send them`,
        );
      await waitForChange();
    }
  } finally {
    clearInterval(ticker);
    signal?.removeEventListener('abort', onAbort);
    for (const state of peers.values()) state.controller.abort();
    for (const set of asked.values()) for (const request of set) request.controller.abort();
    changed();
    await Promise.allSettled(workers);
  }
  signal?.throwIfAborted();
}

/**
 * The last run of consecutive leaves in `leaves` (file order), at most `max`; `take` removes them from it.
 */
function backRun(leaves: FileLeaf[], max: number, take: boolean): FileLeaf[] {
  const run: FileLeaf[] = [];
  for (let i = leaves.length - 1; i >= 0 && run.length < max; i--) {
    const leaf = leaves[i]!;
    const head = run[0];
    if (head !== undefined && leaf.offset + leaf.size !== head.offset) break;
    run.unshift(leaf);
  }
  if (take) leaves.splice(leaves.length - run.length, run.length);
  return run;
}

/** A dropped peer's reason, in words a user can act on (the error's own message, else its name). */
function describeFailure(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message.trim() === '' ? error.name : error.message;
}
