// A peer floods a member with ping-reqs for made-up targets (hostile-input review, issue 18). Each ping-req
// made the member ping the target for the requester — a dial of a peer id the attacker chose, with a stream
// entry and a timer kept for it — with no bound: one peer could make a node dial without end, for free.
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { encode } from 'cborg';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterMembership } from '../../../../src-main/node/membership/cluster-membership.ts';
import {
  Libp2pMembershipTransport,
  wallClock,
} from '../../../../src-main/node/membership/libp2p-membership-transport.ts';
import { MembershipMux } from '../../../../src-main/node/membership/membership-mux.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import {
  MEMBERSHIP_PROTOCOL,
  MEMBERSHIP_WIRE_VERSION,
  decodeMembershipMessage,
} from '../../../../src-shared/protocol/membership-wire.ts';
import { startLoopbackP2p, waitFor } from '../p2p/loopback-network.ts';

const CLUSTER = { region: 'asia', tier: 'model-a' } as const;
const KEY = 'asia/model-a';

interface Node {
  readonly p2p: P2pService;
  readonly transport: Libp2pMembershipTransport;
  readonly membership: ClusterMembership;
}

const running: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((stop) => stop()));
});

async function node(): Promise<Node> {
  const p2p = await startLoopbackP2p({});
  const transport = new Libp2pMembershipTransport(p2p.libp2p);
  await transport.start();
  const mux = new MembershipMux(transport);
  const membership = new ClusterMembership(
    CLUSTER,
    { state: 'active', engine: 'ready', modelsReady: ['m'], capacity: 2, version: 'test' },
    { transport, clock: wallClock },
    // A long probe deadline: the flood's relays are all still running when it is counted.
    { intervalMs: 4000, activeViewSize: 8, probeTimeoutMs: 1000 },
  );
  mux.add(membership);
  running.push(async () => {
    membership.stop(false);
    await transport.stop().catch(() => {});
    await p2p.stop();
  });
  return { p2p, transport, membership };
}

function pingReq(seq: number, target: string): Uint8Array {
  return encode({ v: MEMBERSHIP_WIRE_VERSION, t: 'ping-req', c: KEY, s: seq, r: [], x: target });
}

describe('ping-req flood over real libp2p streams', { timeout: 90_000 }, () => {
  it('a member relays an honest ping-req but dials only a few of a flood’s made-up targets', async () => {
    const victim = await node();
    const target = await node();
    await victim.p2p.libp2p.dial(target.p2p.libp2p.getMultiaddrs()[0]!);
    victim.membership.start(1);
    target.membership.start(1);
    await waitFor(
      'the victim holds the target',
      () => victim.membership.holdsAlive(target.p2p.peerId),
      30_000,
    );

    const attacker = await startLoopbackP2p({});
    running.push(() => attacker.stop());
    const stream = await attacker.libp2p.dialProtocol(
      victim.p2p.libp2p.getMultiaddrs()[0]!,
      MEMBERSHIP_PROTOCOL,
    );
    const lp = lpStream(stream);
    // An indirect probe of a real member: the victim pings it and passes its ack back.
    await lp.write(pingReq(1, target.p2p.peerId));
    for (;;) {
      const answer = decodeMembershipMessage(
        (await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray(),
      );
      if (answer.ok && answer.message.seq === 1) {
        expect(answer.message.kind).toBe('ack');
        break;
      }
    }

    const fakes = await Promise.all(
      Array.from({ length: 200 }, async () =>
        peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString(),
      ),
    );
    // Watch whom the victim sends to (each new peer is a dial).
    const fakeSet = new Set(fakes);
    let toFakes = 0;
    const send = victim.transport.send.bind(victim.transport);
    victim.transport.send = (to, bytes) => {
      if (fakeSet.has(to)) toFakes += 1;
      send(to, bytes);
    };
    for (const [i, fake] of fakes.entries()) await lp.write(pingReq(100 + i, fake));
    // A stream is read in order: the answer to a last ping means every ping-req before it was handled.
    await lp.write(encode({ v: MEMBERSHIP_WIRE_VERSION, t: 'ping', c: KEY, s: 9999, r: [], w: false }));
    for (;;) {
      const answer = decodeMembershipMessage(
        (await lp.read({ signal: AbortSignal.timeout(20_000) })).subarray(),
      );
      if (answer.ok && answer.message.seq === 9999) break;
    }
    expect(toFakes).toBeGreaterThan(0);
    expect(toFakes).toBeLessThanOrEqual(4);
  });
});
