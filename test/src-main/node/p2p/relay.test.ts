import { multiaddr } from '@multiformats/multiaddr';
import { afterEach, describe, expect, it } from 'vitest';
import { MembershipService } from '../../../../src-main/node/membership/membership-service.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { startLoopbackP2p, waitFor } from './loopback-network.ts';

const running: { stop: () => Promise<void> }[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((item) => item.stop()));
});

/** A node behind a NAT, as far as the others can tell: it listens on no direct address, only through relays. */
async function unreachableNode(relayAddress: string): Promise<P2pService> {
  const node = await startLoopbackP2p({ listen: ['/p2p-circuit'], bootstrap: [relayAddress] });
  running.push(node);
  return node;
}

// Real nodes on a shared two-core machine: generous bounds, never measurements.
describe('circuit relay', { timeout: 90_000 }, () => {
  it('two nodes that cannot dial each other directly reach each other through a relay node', async () => {
    const relay = await startLoopbackP2p({ relayServer: true });
    running.push(relay);
    const relayAddress = relay.listenAddresses()[0]!;
    const [alice, bob] = await Promise.all([unreachableNode(relayAddress), unreachableNode(relayAddress)]);

    await waitFor('bob holds a relay reservation', () =>
      bob.listenAddresses().some((addr) => addr.includes('/p2p-circuit')),
    );
    const bobAddresses = bob.listenAddresses();
    expect(bobAddresses.every((addr) => addr.includes('/p2p-circuit'))).toBe(true);

    const circuit = bobAddresses.find((addr) => addr.includes(relay.peerId))!;
    const connection = await alice.libp2p.dial(multiaddr(circuit), { signal: AbortSignal.timeout(10_000) });
    expect(connection.remotePeer.toString()).toBe(bob.peerId);
    expect(connection.remoteAddr.toString()).toContain('/p2p-circuit');
    const rtt = await alice.libp2p.services.ping.ping(bob.libp2p.peerId, {
      signal: AbortSignal.timeout(10_000),
    });
    expect(rtt).toBeGreaterThanOrEqual(0);

    // Membership probes flow over the relayed connection too (the relay runs no membership).
    const memberships = [alice, bob].map(
      (node) => new MembershipService({ libp2p: node.libp2p }, { heartbeatIntervalMs: 1000 }),
    );
    for (const membership of memberships) {
      await membership.start();
      await membership.join({ region: 'oceania', serve: ['model-a'], watch: ['model-a'] });
      running.unshift({ stop: () => membership.stop() });
    }
    await waitFor(
      'alice sees bob as a member',
      () =>
        memberships[0]!
          .cluster('model-a')
          ?.members()
          .some((member) => member.peerId === bob.peerId && member.status === 'up') === true,
    );
    expect(relay.pubsub.getTopics()).toEqual([]);
    // Every connection between alice and bob goes through the relay.
    const direct = alice.libp2p
      .getConnections(bob.libp2p.peerId)
      .filter((c) => !c.remoteAddr.toString().includes('/p2p-circuit'));
    expect(direct).toEqual([]);
  });
});
