// Pacing libp2p's search for relays. A node listening on `/p2p-circuit` holds fewer relay reservations than
// it asked for whenever no relay it knows accepts one; the circuit-relay transport then random-walks the DHT
// for relays, one `getClosestPeers` query after another, for as long as the shortfall lasts: about ten a
// second per node, forever, on a node with no relay in reach (a third of a seeder's CPU in the weights bench).
// Here the transport sees the node's random walk through a pace: the first few peers at once (a relay nearby
// is found as fast as before), then one per interval that doubles up to a ceiling. The walk pauses while
// nobody asks for its next peer, so pacing what the transport takes paces the DHT queries themselves. Relays
// the node is connected to anyway (bootstrap relays, any peer) are still found at once, through identify:
// the walk only looks for relays the node knows nothing of. Once a search ends because enough relays were
// found, the next one (a relay lost) starts with a fresh pace.
import type { AbortOptions, PeerInfo } from '@libp2p/interface';

/** The part of libp2p's random walk the circuit-relay transport uses. */
export interface RandomWalkLike {
  walk(options?: AbortOptions): AsyncGenerator<PeerInfo>;
}

export interface RelayWalkPace {
  /** Peers handed out at once when a search starts. */
  readonly burst: number;
  /** The first wait after the burst; each next wait doubles. */
  readonly firstDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RELAY_WALK_PACE: RelayWalkPace = {
  burst: 5,
  firstDelayMs: 1000,
  maxDelayMs: 5 * 60_000,
};

/** A random walk that hands out peers no faster than `pace` allows. */
export class PacedRandomWalk implements RandomWalkLike {
  readonly #inner: RandomWalkLike;
  readonly #pace: RelayWalkPace;
  #taken = 0;

  constructor(inner: RandomWalkLike, pace: RelayWalkPace = DEFAULT_RELAY_WALK_PACE) {
    this.#inner = inner;
    this.#pace = pace;
  }

  async *walk(options?: AbortOptions): AsyncGenerator<PeerInfo> {
    const signal = options?.signal;
    try {
      for await (const peer of this.#inner.walk(options)) {
        yield peer;
        this.#taken++;
        const delay = this.#delayAfter(this.#taken);
        if (delay > 0) await pause(delay, signal);
      }
    } finally {
      // The transport stops its search when it has enough relays: the next search is a new one.
      if (signal?.aborted === true) this.#taken = 0;
    }
  }

  #delayAfter(taken: number): number {
    const { burst, firstDelayMs, maxDelayMs } = this.#pace;
    if (taken < burst) return 0;
    return Math.min(maxDelayMs, firstDelayMs * 2 ** Math.min(30, taken - burst));
  }
}

/**
 * Wrap a libp2p component factory (the circuit-relay transport) so that the `randomWalk` component it is
 * given is paced; every other component is the node's own.
 */
export function withPacedRelayDiscovery<C extends object, T>(
  factory: (components: C) => T,
  pace: RelayWalkPace = DEFAULT_RELAY_WALK_PACE,
): (components: C) => T {
  return (components) => {
    let paced: PacedRandomWalk | null = null;
    const view = new Proxy(components, {
      get(target, property, receiver) {
        if (property === 'randomWalk') {
          const inner = Reflect.get(target, property, receiver) as RandomWalkLike;
          return (paced ??= new PacedRandomWalk(inner, pace));
        }
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
    return factory(view);
  };
}

/** Wait `ms`; an abort ends the wait early (the walk's loop then sees the aborted signal and ends). */
function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted === true) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    timer.unref?.();
    signal?.addEventListener('abort', done, { once: true });
  });
}
