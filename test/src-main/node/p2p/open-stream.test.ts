import type { Stream } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { afterEach, describe, expect, it } from 'vitest';
import { openStream } from '../../../../src-main/node/p2p/open-stream.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { startLoopbackP2p, waitFor } from './loopback-network.ts';

const PROTOCOL = '/og-test/hello/1.0.0';
const running: P2pService[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((node) => node.stop()));
});

/** Alice and Bob, reachable only through a relay, with one relayed connection from Alice to Bob. */
async function relayedPair() {
  const relay = await startLoopbackP2p({ relayServer: true });
  running.push(relay);
  const relayAddress = relay.listenAddresses()[0]!;
  const [alice, bob] = await Promise.all(
    [0, 1].map(() => startLoopbackP2p({ listen: ['/p2p-circuit'], bootstrap: [relayAddress] })),
  );
  running.push(alice!, bob!);
  await bob!.libp2p.handle(
    PROTOCOL,
    async (stream: Stream) => {
      await stream.close().catch(() => undefined);
    },
    { runOnLimitedConnection: true },
  );
  await waitFor('bob holds a relay reservation', () =>
    bob!.listenAddresses().some((address) => address.includes('/p2p-circuit')),
  );
  const circuit = bob!.listenAddresses().find((address) => address.includes('/p2p-circuit'))!;
  await alice!.libp2p.dial(multiaddr(circuit), { signal: AbortSignal.timeout(10_000) });
  return { alice: alice!, bob: bob! };
}

/** Counts the connections `node` opens and closes from now on. */
function connectionEvents(node: P2pService): { opened: number; closed: number } {
  const counts = { opened: 0, closed: 0 };
  node.libp2p.addEventListener('connection:open', () => (counts.opened += 1));
  node.libp2p.addEventListener('connection:close', () => (counts.closed += 1));
  return counts;
}

// Real nodes and a real relay on 127.0.0.1.
describe('openStream with only a relayed connection', { timeout: 90_000 }, () => {
  it("libp2p's dialProtocol by peer id dials the relay again, and one of the two connections is then closed", async () => {
    const { alice, bob } = await relayedPair();
    expect(alice.libp2p.getConnections(bob.libp2p.peerId)).toHaveLength(1);
    const events = connectionEvents(alice);
    const stream = await alice.libp2p.dialProtocol(bob.libp2p.peerId, PROTOCOL, {
      signal: AbortSignal.timeout(10_000),
      runOnLimitedConnection: true,
    });
    await stream.close().catch(() => undefined);
    // A second relayed connection although one was open; streams on whichever is closed are reset.
    expect(events.opened).toBeGreaterThanOrEqual(1);
    await waitFor('one of the duplicates closed', () => events.closed >= 1, 20_000);
  });

  it('opens every stream, however many at once, over the relayed connection already there', async () => {
    const { alice, bob } = await relayedPair();
    const [relayed] = alice.libp2p.getConnections(bob.libp2p.peerId);
    const events = connectionEvents(alice);
    const streams = await Promise.all(
      Array.from({ length: 8 }, () =>
        openStream(alice.libp2p, bob.libp2p.peerId, PROTOCOL, {
          signal: AbortSignal.timeout(10_000),
          runOnLimitedConnection: true,
          negotiateFully: true,
        }),
      ),
    );
    expect(streams.every((stream) => stream.status === 'open')).toBe(true);
    expect(alice.libp2p.getConnections(bob.libp2p.peerId)).toEqual([relayed]);
    expect(events).toEqual({ opened: 0, closed: 0 });
    await Promise.all(streams.map((stream) => stream.close().catch(() => undefined)));
  });

  it('refuses a relayed connection unless the caller allows one', async () => {
    const { alice, bob } = await relayedPair();
    await expect(
      openStream(alice.libp2p, bob.libp2p.peerId, PROTOCOL, { signal: AbortSignal.timeout(5_000) }),
    ).rejects.toThrow();
  });
});
