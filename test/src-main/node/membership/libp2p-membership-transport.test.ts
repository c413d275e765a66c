// The same membership modules the simulator runs, over real libp2p nodes on 127.0.0.1: streams, frames,
// a crash (the node's libp2p stops without a goodbye) and a load query.
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterMembership } from '../../../../src-main/node/membership/cluster-membership.ts';
import {
  Libp2pMembershipTransport,
  wallClock,
} from '../../../../src-main/node/membership/libp2p-membership-transport.ts';
import { MembershipMux } from '../../../../src-main/node/membership/membership-mux.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { startLoopbackP2p, waitFor } from '../p2p/loopback-network.ts';

const CLUSTER = { region: 'asia', tier: 'model-a' } as const;
const INTERVAL = 1000;

interface Node {
  readonly p2p: P2pService;
  readonly transport: Libp2pMembershipTransport;
  readonly membership: ClusterMembership;
  readonly mux: MembershipMux;
}

const running: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((stop) => stop()));
});

async function node(capacity: number): Promise<Node> {
  const p2p = await startLoopbackP2p({});
  const transport = new Libp2pMembershipTransport(p2p.libp2p);
  await transport.start();
  const mux = new MembershipMux(transport);
  const membership = new ClusterMembership(
    CLUSTER,
    { state: 'active', engine: 'ready', modelsReady: ['m'], capacity, version: 'test' },
    { transport, clock: wallClock, load: () => ({ capacity, load: 1, ready: true }) },
    { intervalMs: INTERVAL, activeViewSize: 8, probeTimeoutMs: 200 },
  );
  mux.add(membership);
  running.push(async () => {
    membership.stop(false);
    await transport.stop().catch(() => {});
    await p2p.stop();
  });
  return { p2p, transport, membership, mux };
}

const ids = (n: Node): string[] =>
  n.membership
    .members()
    .map((m) => m.peerId)
    .sort();

describe('sampled membership over real libp2p streams', { timeout: 60_000 }, () => {
  it('members find each other, answer load queries, and every survivor drops a crashed member', async () => {
    const nodes = [await node(2), await node(3), await node(4), await node(5)];
    for (const a of nodes)
      for (const b of nodes)
        if (a !== b && a.p2p.peerId < b.p2p.peerId) await a.p2p.libp2p.dial(b.p2p.libp2p.getMultiaddrs()[0]!);
    for (const n of nodes) n.membership.start();
    for (const n of nodes) {
      const others = nodes
        .filter((o) => o !== n)
        .map((o) => o.p2p.peerId)
        .sort();
      await waitFor(
        'every view holds the other three',
        () => JSON.stringify(ids(n)) === JSON.stringify(others),
        20_000,
      );
    }
    const report = await new Promise((resolve) =>
      nodes[0]!.membership.queryLoad(nodes[3]!.p2p.peerId, 2_000, resolve),
    );
    expect(report).toEqual({ capacity: 5, load: 1, ready: true });

    const victim = nodes[2]!;
    const victimId = victim.p2p.peerId;
    victim.membership.stop(false);
    await victim.p2p.stop();
    const survivors = nodes.filter((n) => n !== victim);
    await waitFor(
      'survivors drop the crashed member',
      () => survivors.every((n) => !ids(n).includes(victimId)),
      20_000,
    );
    expect(survivors.every((n) => n.mux.rejected === 0)).toBe(true);
  });

  it('answers a peer whose stream to it ended on a fresh stream, not on the dead one', async () => {
    const a = await startLoopbackP2p({});
    const b = await startLoopbackP2p({});
    const transportA = new Libp2pMembershipTransport(a.libp2p);
    let transportB = new Libp2pMembershipTransport(b.libp2p);
    running.push(async () => {
      await transportA.stop().catch(() => {});
      await transportB.stop().catch(() => {});
      await a.stop();
      await b.stop();
    });
    await transportA.start();
    await transportB.start();
    const atA: string[] = [];
    const atB: string[] = [];
    transportA.onMessage((from, frame) => atA.push(`${from}:${Buffer.from(frame).toString()}`));
    transportB.onMessage((from, frame) => atB.push(`${from}:${Buffer.from(frame).toString()}`));
    await a.libp2p.dial(b.libp2p.getMultiaddrs()[0]!);
    // B opens a stream to A; A keeps it to answer B on.
    transportB.send(a.peerId, Buffer.from('hello'));
    await waitFor('A hears B', () => atA.length === 1, 10_000);
    // B's side of that stream goes away (B's membership restarts); the connection stays.
    await transportB.stop();
    transportB = new Libp2pMembershipTransport(b.libp2p);
    await transportB.start();
    transportB.onMessage((from, frame) => atB.push(`${from}:${Buffer.from(frame).toString()}`));
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    // A's next message to B must arrive: on the dead stream it would be lost.
    transportA.send(b.peerId, Buffer.from('answer'));
    await waitFor('B hears A', () => atB.length === 1, 10_000);
    expect(atB).toEqual([`${a.peerId}:answer`]);
  });
});
