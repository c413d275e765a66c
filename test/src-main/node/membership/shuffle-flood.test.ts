// A peer floods a member with shuffles full of made-up peer ids (hostile-input review, issue 18). A shuffle is
// Cyclon's swap: the receiver hands over some of its verified members and takes the sender's entries in their
// place. Any peer could send one, as often as it liked, so a stream of them flushed a node's verified members
// out of its active view for ids that never answer. One attacker here; many attacker ids still get a few
// swaps per interval in all (view-shuffles.ts).
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
  MAX_SHUFFLE_ENTRIES,
  MEMBERSHIP_PROTOCOL,
  MEMBERSHIP_WIRE_VERSION,
  decodeMembershipMessage,
} from '../../../../src-shared/protocol/membership-wire.ts';
import { startLoopbackP2p, waitFor } from '../p2p/loopback-network.ts';

const CLUSTER = { region: 'asia', tier: 'model-a' } as const;
const KEY = 'asia/model-a';
const HONEST = 4;

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
    { intervalMs: 5000, activeViewSize: 20, probeTimeoutMs: 300 },
  );
  mux.add(membership);
  running.push(async () => {
    membership.stop(false);
    await transport.stop().catch(() => {});
    await p2p.stop();
  });
  return { p2p, transport, membership };
}

const held = (n: Node): number => n.membership.members().length;

describe('shuffle flood over real libp2p streams', { timeout: 240_000 }, () => {
  it('a node flooded with swaps of made-up members keeps its verified members', async () => {
    const victim = await node();
    const honest = await Promise.all(Array.from({ length: HONEST }, () => node()));
    for (const other of honest) await victim.p2p.libp2p.dial(other.p2p.libp2p.getMultiaddrs()[0]!);
    victim.membership.start(1);
    for (const other of honest) other.membership.start(1);
    await waitFor('the victim holds every honest member', () => held(victim) === HONEST, 60_000);

    const fakes = await Promise.all(
      Array.from({ length: 320 }, async () =>
        peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString(),
      ),
    );
    const attacker = await startLoopbackP2p({});
    running.push(() => attacker.stop());
    const stream = await attacker.libp2p.dialProtocol(
      victim.p2p.libp2p.getMultiaddrs()[0]!,
      MEMBERSHIP_PROTOCOL,
    );
    const lp = lpStream(stream);
    // The victim's answers are read (so they never back up) and their seqs kept.
    const answered = new Set<number>();
    void (async () => {
      for (;;) {
        const answer = decodeMembershipMessage((await lp.read()).subarray());
        if (answer.ok) answered.add(answer.message.seq);
      }
    })().catch(() => undefined);

    // 100 swaps, 16 made-up members each, then a ping: its answer means every swap before it was handled.
    for (let i = 0; i < 100; i += 1) {
      const entries = Array.from({ length: MAX_SHUFFLE_ENTRIES }, (_, j) => [
        fakes[(i * MAX_SHUFFLE_ENTRIES + j) % fakes.length]!,
        1,
      ]);
      await lp.write(
        encode({ v: MEMBERSHIP_WIRE_VERSION, t: 'shuffle', c: KEY, s: i + 1, r: [], j: false, e: entries }),
      );
    }
    await lp.write(encode({ v: MEMBERSHIP_WIRE_VERSION, t: 'ping', c: KEY, s: 9999, r: [], w: false }));
    await waitFor('the victim answered the last ping', () => answered.has(9999), 60_000);
    // Its view had room for the first swap's 16; every later swap would cost it members for made-up ones.
    expect(held(victim)).toBe(HONEST);
  });
});
