import { lpStream } from '@libp2p/utils';
import { multiaddr } from '@multiformats/multiaddr';
import { afterEach, describe, expect, it } from 'vitest';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { RELAY_LIMITS } from '../../../../src-main/node/p2p/relay-limits.ts';
import { startLoopbackP2p, waitFor } from './loopback-network.ts';

const SINK = '/og-test/sink/1.0.0';
const FRAME = 64 * 1024;

const running: P2pService[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((node) => node.stop()));
});

/** Alice, reachable only through the relay, counts what arrives on SINK and answers with the count. */
async function relayedPair(): Promise<{ alice: P2pService; bob: P2pService; circuit: string }> {
  const relay = await startLoopbackP2p({ relayServer: true });
  running.push(relay);
  const relayAddress = relay.listenAddresses()[0]!;
  const alice = await startLoopbackP2p({ listen: ['/p2p-circuit'], bootstrap: [relayAddress] });
  const bob = await startLoopbackP2p({ listen: ['/p2p-circuit'], bootstrap: [relayAddress] });
  running.push(alice, bob);
  await alice.libp2p.handle(
    SINK,
    async (stream) => {
      const lp = lpStream(stream, { maxDataLength: FRAME });
      let total = 0;
      try {
        for (;;) {
          const frame = await lp.read({ signal: AbortSignal.timeout(20_000) });
          if (frame.byteLength === 0) break;
          total += frame.byteLength;
        }
        await lp.write(new TextEncoder().encode(String(total)));
        await stream.close();
      } catch (error) {
        stream.abort(error instanceof Error ? error : new Error('sink failed'));
      }
    },
    { runOnLimitedConnection: true },
  );
  await waitFor('alice holds a relay reservation', () =>
    alice.listenAddresses().some((addr) => addr.includes('/p2p-circuit')),
  );
  const circuit = alice.listenAddresses().find((addr) => addr.includes('/p2p-circuit'))!;
  return { alice, bob, circuit };
}

async function send(bob: P2pService, alice: P2pService, circuit: string, bytes: number): Promise<number> {
  await bob.libp2p.dial(multiaddr(circuit), { signal: AbortSignal.timeout(10_000) });
  const stream = await bob.libp2p.dialProtocol(alice.libp2p.peerId, SINK, {
    runOnLimitedConnection: true,
    signal: AbortSignal.timeout(10_000),
  });
  const lp = lpStream(stream, { maxDataLength: FRAME });
  for (let sent = 0; sent < bytes; sent += FRAME) {
    await lp.write(new Uint8Array(Math.min(FRAME, bytes - sent)), { signal: AbortSignal.timeout(20_000) });
  }
  await lp.write(new Uint8Array(0));
  const answer = await lp.read({ signal: AbortSignal.timeout(20_000) });
  return Number(new TextDecoder().decode(answer.subarray()));
}

describe('relay limits (security finding 20)', { timeout: 90_000 }, () => {
  it('a relayed circuit carries a whole chat, well past libp2p’s default 128 KiB limit', async () => {
    const { alice, bob, circuit } = await relayedPair();
    const connection = bob.libp2p.getConnections(alice.libp2p.peerId)[0];
    expect(connection).toBeUndefined();
    expect(await send(bob, alice, circuit, 1024 * 1024)).toBe(1024 * 1024);
    // The circuit is limited: a relayed connection, with the relay's data budget (what was left of it when
    // the circuit opened).
    const left = bob.libp2p.getConnections(alice.libp2p.peerId)[0]?.limits?.bytes;
    expect(left).toBeGreaterThan(0n);
    expect(left).toBeLessThanOrEqual(RELAY_LIMITS.dataBytes);
  });

  it('a peer cannot push more than the per-circuit data limit through the relay', async () => {
    const { alice, bob, circuit } = await relayedPair();
    const tooMuch = Number(RELAY_LIMITS.dataBytes) + 1024 * 1024;
    await expect(send(bob, alice, circuit, tooMuch)).rejects.toThrow();
    await waitFor('the relay closed the circuit', () =>
      bob.libp2p.getConnections(alice.libp2p.peerId).every((c) => c.status !== 'open'),
    );
  });
});
