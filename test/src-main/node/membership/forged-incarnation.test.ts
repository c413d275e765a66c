// A peer forges a rumor about a member at an absurd incarnation (hostile-input review, issue 18). SWIM has a
// member refute a suspicion of itself with one incarnation more: a suspicion at Number.MAX_SAFE_INTEGER
// pushed the victim to 2^53, which no decoder accepts, so every ack it sent afterwards was refused and its
// cluster declared it dead — one free message removed any worker from routing until it restarted.
import { encode } from 'cborg';
import { lpStream } from '@libp2p/utils';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterMembership } from '../../../../src-main/node/membership/cluster-membership.ts';
import {
  Libp2pMembershipTransport,
  wallClock,
} from '../../../../src-main/node/membership/libp2p-membership-transport.ts';
import { MembershipMux } from '../../../../src-main/node/membership/membership-mux.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import {
  MAX_INCARNATION,
  MEMBERSHIP_PROTOCOL,
  MEMBERSHIP_WIRE_VERSION,
  decodeMembershipMessage,
} from '../../../../src-shared/protocol/membership-wire.ts';
import { startLoopbackP2p, waitFor } from '../p2p/loopback-network.ts';

const CLUSTER = { region: 'asia', tier: 'model-a' } as const;
const KEY = 'asia/model-a';

interface Node {
  readonly p2p: P2pService;
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
    { transport, clock: wallClock },
    { intervalMs: 1000, activeViewSize: 8, probeTimeoutMs: 200 },
  );
  mux.add(membership);
  running.push(async () => {
    membership.stop(false);
    await transport.stop().catch(() => {});
    await p2p.stop();
  });
  return { p2p, membership, mux };
}

/** A raw ping as an attacker writes it (cborg directly: the encoder's own checks are not the attacker's). */
function ping(seq: number, rumors: readonly Record<string, unknown>[]): Uint8Array {
  return encode({ v: MEMBERSHIP_WIRE_VERSION, t: 'ping', c: KEY, s: seq, r: rumors, w: true });
}

describe('forged incarnations over real libp2p streams', { timeout: 90_000 }, () => {
  it.each([
    ['past the safe integers', Number.MAX_SAFE_INTEGER],
    ['at the wire’s ceiling', MAX_INCARNATION],
    ['a year and more ahead of the clock', Math.floor(Date.now() / 1000) + 400 * 24 * 3600],
  ])(
    'a suspicion of a member %s leaves it answering in range and held by its cluster',
    async (_label, forged) => {
      const honest = await node(2);
      const victim = await node(3);
      await honest.p2p.libp2p.dial(victim.p2p.libp2p.getMultiaddrs()[0]!);
      victim.membership.start(Math.floor(Date.now() / 1000));
      honest.membership.start(Math.floor(Date.now() / 1000));
      await waitFor(
        'the honest member holds the victim',
        () => honest.membership.members().some((m) => m.peerId === victim.p2p.peerId && m.status === 'up'),
        30_000,
      );

      const attacker = await startLoopbackP2p({});
      running.push(() => attacker.stop());
      const stream = await attacker.libp2p.dialProtocol(
        victim.p2p.libp2p.getMultiaddrs()[0]!,
        MEMBERSHIP_PROTOCOL,
      );
      const lp = lpStream(stream);
      await lp.write(ping(1, [{ k: 'suspect', p: victim.p2p.peerId, i: forged, h: 4 }]));
      await lp.write(ping(2, []));
      // Read what the victim answers until its answer to the plain ping (the forged one may get none).
      let answer: Uint8Array | null = null;
      for (let i = 0; i < 4 && answer === null; i += 1) {
        const frame = (await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray();
        const decoded = decodeMembershipMessage(frame);
        if (!decoded.ok || decoded.message.seq === 2) answer = frame;
      }
      const decoded = decodeMembershipMessage(answer!);
      expect(decoded.ok ? decoded.message.kind : decoded.reason).toBe('ack');
      expect(victim.membership.incarnation).toBeLessThanOrEqual(MAX_INCARNATION);
      expect(victim.membership.incarnation).toBeLessThan(forged);

      // The victim still reaches its cluster: a change it announces arrives at the honest member.
      victim.membership.setDescriptor({
        state: 'active',
        engine: 'ready',
        modelsReady: ['m'],
        capacity: 7,
        version: 'test',
      });
      await waitFor(
        'the honest member sees the victim’s new capacity',
        () =>
          honest.membership
            .members()
            .some((m) => m.peerId === victim.p2p.peerId && m.status === 'up' && m.descriptor.capacity === 7),
        30_000,
      );
      expect(honest.mux.rejected).toBe(0);
    },
  );
});
