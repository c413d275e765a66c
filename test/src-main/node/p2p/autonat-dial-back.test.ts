import type { Connection } from '@libp2p/interface';
import { afterEach, describe, expect, it } from 'vitest';
import { freshSingleAddressDials } from '../../../../src-main/node/p2p/autonat-dial-back.ts';
import {
  canCheckOver,
  isConnectionAddressVerifier,
} from '../../../../src-main/node/p2p/mapped-address-check.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { startLoopbackP2p } from './loopback-network.ts';

const running: P2pService[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((node) => node.stop()));
});

async function twoConnectedNodes() {
  const a = await startLoopbackP2p({ natTraversal: true });
  const b = await startLoopbackP2p({ natTraversal: true });
  running.push(a, b);
  const address = b.libp2p.getMultiaddrs()[0]!;
  const first = await a.libp2p.dial(address);
  const manager = (a.libp2p as unknown as { components: { connectionManager: unknown } }).components
    .connectionManager as Parameters<typeof freshSingleAddressDials>[0];
  return { a, b, address, first, manager };
}

describe('AutoNAT dial-back over a fresh connection', { timeout: 60_000 }, () => {
  it("libp2p's own dial of one address hands back the connection already open (what broke AutoNAT's check)", async () => {
    const { address, first, manager } = await twoConnectedNodes();
    const again: Connection = await manager.openConnection(address);
    expect(again).toBe(first);
  });

  it('opens a new connection for a single address and leaves the existing one open', async () => {
    const { a, b, address, first, manager } = await twoConnectedNodes();
    const fresh = await freshSingleAddressDials(manager).openConnection(address);
    expect(fresh).not.toBe(first);
    expect(fresh.remotePeer.equals(b.libp2p.peerId)).toBe(true);
    expect(first.status).toBe('open');
    expect(a.libp2p.getConnections(b.libp2p.peerId)).toHaveLength(2);
    // Closing what the check dialled (as AutoNAT does) leaves the peer's own connection alone.
    await fresh.close();
    expect(first.status).toBe('open');
  });

  it('keeps reusing connections for dials by a list of addresses (the random walk) and by peer id', async () => {
    const { b, address, first, manager } = await twoConnectedNodes();
    const wrapped = freshSingleAddressDials(manager);
    expect(await wrapped.openConnection([address])).toBe(first);
    expect(await wrapped.openConnection(b.libp2p.peerId)).toBe(first);
    expect(wrapped.getConnections(b.libp2p.peerId)).toEqual([first]);
  });

  it("is the node's AutoNAT service, which can be asked to check over a connection it has", async () => {
    const { a, first } = await twoConnectedNodes();
    expect(isConnectionAddressVerifier(a.libp2p.services.autoNAT)).toBe(true);
    expect(isConnectionAddressVerifier({})).toBe(false);
    expect(isConnectionAddressVerifier(null)).toBe(false);
    // A direct TCP connection can carry a dial-back check.
    expect(canCheckOver(first)).toBe(true);
  });
});
