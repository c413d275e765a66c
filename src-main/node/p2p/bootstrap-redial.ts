// Staying connected to the bootstrap nodes. The bootstrap module dials once, at start. A node that starts
// before its bootstrap nodes (or loses them all) would stay alone forever, so while none is connected we
// redial them with a growing delay, and keep a record of the attempts for "looking for peers".
import type { Libp2p } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { parseMultiaddr } from './parse-multiaddr.ts';

/** How the node is trying to reach its bootstrap nodes (what "looking for peers" tells the user). */
export interface BootstrapProgress {
  readonly attempts: number;
  readonly nextAttemptAt: number | null;
}

/** The peer ids named in bootstrap addresses (a bare `/dnsaddr/` name names none). */
export function bootstrapPeerIds(addresses: readonly string[]): Set<string> {
  return new Set(
    addresses.flatMap((address) =>
      parseMultiaddr(address, 'bootstrap')
        .getComponents()
        .filter((c) => c.name === 'p2p')
        .flatMap((c) => (c.value === undefined ? [] : [c.value])),
    ),
  );
}

/**
 * Redials the bootstrap nodes of one running libp2p node at a time. The attempt count outlives a stop, as it
 * did when the service kept it, so a restarted node reports its attempts since the service was made.
 */
export class BootstrapRedial {
  #node: Pick<Libp2p, 'getPeers' | 'dial'> | null = null;
  #retryTimer: ReturnType<typeof setTimeout> | null = null;
  #attempts = 0;
  #nextAttemptAt = 0;

  /** Watch `node`: while none of `peers` is connected, dial every address, first after `initialDelayMs`. */
  start(
    node: Pick<Libp2p, 'getPeers' | 'dial'>,
    addresses: readonly string[],
    peers: ReadonlySet<string>,
    initialDelayMs: number,
  ): void {
    this.#node = node;
    let delay = initialDelayMs;
    // Bare `/dnsaddr/` names name no peer: any connection then counts as being back in the network.
    const anyPeer = addresses.some((address) => !address.includes('/p2p/'));
    const check = async (): Promise<void> => {
      if (this.#node !== node) return;
      const connected = node.getPeers().some((peer) => anyPeer || peers.has(peer.toString()));
      if (connected) {
        delay = initialDelayMs;
      } else {
        this.#attempts += 1;
        await Promise.allSettled(
          addresses.map((address) => node.dial(multiaddr(address), { signal: AbortSignal.timeout(10_000) })),
        );
        delay = Math.min(delay * 2, 60_000);
      }
      if (this.#node !== node) return;
      this.#schedule(() => void check(), delay);
    };
    this.#schedule(() => void check(), delay);
  }

  #schedule(run: () => void, delay: number): void {
    this.#nextAttemptAt = Date.now() + delay;
    this.#retryTimer = setTimeout(run, delay);
    this.#retryTimer.unref();
  }

  /** Stop redialing; a check still dialing finishes its dials but schedules no other. */
  stop(): void {
    this.#node = null;
    if (this.#retryTimer !== null) clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
  }

  /** Attempts so far, and when the next check is due (null: not redialing). */
  progress(): BootstrapProgress {
    return {
      attempts: this.#attempts,
      nextAttemptAt: this.#retryTimer === null ? null : this.#nextAttemptAt,
    };
  }
}
