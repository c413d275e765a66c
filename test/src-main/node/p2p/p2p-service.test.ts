import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { afterEach, describe, expect, it } from 'vitest';
import { ListenAddressInUseError } from '../../../../src-main/node/p2p/errors.ts';
import type { ObservedAddress } from '../../../../src-main/node/p2p/observed-address-tally.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { startLoopbackP2p, waitFor } from './loopback-network.ts';
import { freeLoopbackPort } from '../../../../src-main/node/net/free-loopback-port.ts';

const running: P2pService[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((node) => node.stop()));
});

async function start(...args: Parameters<typeof startLoopbackP2p>): Promise<P2pService> {
  const node = await startLoopbackP2p(...args);
  running.push(node);
  return node;
}

// Real nodes on a shared two-core machine: generous bounds, never measurements.
describe('p2p service', { timeout: 90_000 }, () => {
  it('tallies the addresses peers observe us at, one entry per peer, IP only', async () => {
    const bootstrap = await start({ relayServer: true });
    const node = await start({ bootstrap: [bootstrap.listenAddresses()[0]!] });
    const observed: ObservedAddress[] = [];
    node.addEventListener('observed-address', (event) => observed.push(event.detail));
    await start({ bootstrap: [bootstrap.listenAddresses()[0]!] });
    await waitFor('an observation from a peer', () => observed.length > 0);
    expect(observed.every((o) => o.ip === '127.0.0.1')).toBe(true);
    await waitFor('both peers reported', () => node.observedAddressCounts().get('127.0.0.1') === 2);
  });

  it('reports a busy port as a one-line ListenAddressInUseError', async () => {
    const first = await start();
    const port = /\/tcp\/(\d+)/.exec(first.listenAddresses()[0]!)![1]!;
    const error = await startLoopbackP2p({ listen: [`/ip4/127.0.0.1/tcp/${port}`] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ListenAddressInUseError);
    expect((error as Error).message).toContain(`/ip4/127.0.0.1/tcp/${port}`);
  });

  it('refuses a malformed listen address before starting', async () => {
    await expect(startLoopbackP2p({ listen: ['/ip4/not-an-ip/tcp/1'] })).rejects.toThrow(
      /not a valid listen/,
    );
  });

  it('finds peers beyond the bootstrap node through the DHT', async () => {
    const bootstrap = await start({ relayServer: true });
    const address = bootstrap.listenAddresses()[0]!;
    const nodes = [await start({ bootstrap: [address] }), await start({ bootstrap: [address] })];
    await waitFor('the two nodes connect to each other', () =>
      nodes[0]!.libp2p.getPeers().some((peer) => peer.toString() === nodes[1]!.peerId),
    );
  });

  it('keeps redialling its bootstrap node until it comes up', async () => {
    const key = await generateKeyPair('Ed25519');
    const port = await freeLoopbackPort();
    const address = `/ip4/127.0.0.1/tcp/${port}/p2p/${peerIdFromPrivateKey(key).toString()}`;
    const early = await start({ bootstrap: [address], bootstrapRetryMs: 100 });
    await start({ listen: [`/ip4/127.0.0.1/tcp/${port}`], relayServer: true }, key);
    await waitFor('the early node reaches the late bootstrap node', () =>
      early.libp2p.getPeers().some((peer) => peer.equals(peerIdFromPrivateKey(key))),
    );
  });
});
