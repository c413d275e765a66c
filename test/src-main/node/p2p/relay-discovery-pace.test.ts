// A node that listens on /p2p-circuit and finds no relay must not walk the DHT nonstop (libp2p's relay
// search ran ~10 getClosestPeers queries a second per node, forever). Real nodes on loopback with the DHT,
// none of them a relay; the count of the node's DHT walks over a window is bounded. Unit tests of the pace.
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerInfo } from '@libp2p/interface';
import { PacedRandomWalk, type RandomWalkLike } from '../../../../src-main/node/p2p/relay-discovery-pace.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { startLoopbackP2p, waitFor } from './loopback-network.ts';

describe('relay discovery pace', () => {
  const started: P2pService[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((node) => node.stop()));
  });

  it('a node with no relay in reach does not keep walking the DHT for one', async () => {
    const first = await startLoopbackP2p({ dht: true, relayServer: false });
    started.push(first);
    const others = await Promise.all(
      [0, 1].map(() =>
        startLoopbackP2p({ dht: true, relayServer: false, bootstrap: first.listenAddresses() }),
      ),
    );
    started.push(...others);
    // The nodes' listen lists keep /p2p-circuit (relay reachability), so each asks for a reservation.
    const node = others[0]!;
    await waitFor('the node knows both others', () => node.libp2p.getConnections().length >= 1);
    await new Promise((resolve) => setTimeout(resolve, 10_000)); // The DHT's first self-query.
    // Each peer a walk hands out is a step of a DHT query (FIND_NODE requests to the nodes nearest a key).
    let found = 0;
    const routing = node.libp2p.peerRouting as {
      getClosestPeers: (...args: never[]) => AsyncIterable<unknown>;
    };
    const original = routing.getClosestPeers.bind(routing);
    routing.getClosestPeers = (...args: never[]) =>
      (async function* () {
        for await (const peer of original(...args)) {
          found++;
          yield peer;
        }
      })();
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    // Unpaced, the relay search took every peer its walks found at once: 54 in this window on a
    // machine at load 36, hundreds on a quiet one. Paced, the burst is long spent and waits of 1, 2, 4, 8 s
    // leave a handful.
    expect(found).toBeLessThanOrEqual(8);
  }, 90_000);
});

describe('PacedRandomWalk', () => {
  /** An endless walk handing out numbered peers, counting what it was asked for. */
  const endless = () => {
    const state = { handed: 0 };
    const inner: RandomWalkLike = {
      async *walk(options) {
        for (;;) {
          await Promise.resolve();
          options?.signal?.throwIfAborted();
          state.handed++;
          yield { id: `peer-${state.handed}`, multiaddrs: [] } as unknown as PeerInfo;
        }
      },
    };
    return { inner, state };
  };

  it('hands out the burst at once, then waits doubling delays', async () => {
    const { inner, state } = endless();
    const paced = new PacedRandomWalk(inner, { burst: 3, firstDelayMs: 40, maxDelayMs: 80 });
    const controller = new AbortController();
    const walk = paced.walk({ signal: controller.signal });
    for (let i = 0; i < 3; i++) await walk.next();
    // The fourth peer comes only after a wait: meanwhile the inner walk was asked for nothing more.
    const fourth = walk.next();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(state.handed).toBe(3);
    await fourth;
    expect(state.handed).toBe(4);
    controller.abort();
    await walk.next().catch(() => undefined);
  });

  it('a search that ended because it was stopped starts the next with a fresh burst', async () => {
    const { inner, state } = endless();
    const paced = new PacedRandomWalk(inner, { burst: 2, firstDelayMs: 60_000, maxDelayMs: 60_000 });
    const first = new AbortController();
    const walk = paced.walk({ signal: first.signal });
    await walk.next();
    await walk.next();
    const waiting = walk.next(); // In the minute-long wait after the burst.
    first.abort();
    await waiting.catch(() => undefined);
    const second = new AbortController();
    const again = paced.walk({ signal: second.signal });
    const before = state.handed;
    await again.next();
    await again.next();
    expect(state.handed).toBe(before + 2);
    second.abort();
    await again.next().catch(() => undefined);
  });
});
