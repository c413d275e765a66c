// Joins and steady samples as real nodes see them (issue 16: bench:membership measured joins of 12 intervals
// and samples shrinking and refilling, where the simulator joins in ~2.4). Real libp2p nodes on 127.0.0.1 with
// the bootstrap node watching the cluster, as deployed. Bounds count intervals of the real clock generously;
// they are bounds, never measurements.
import { afterEach, describe, expect, it } from 'vitest';
import type { MemberChange } from '../../../../src-main/node/membership/member-change.ts';
import { MembershipService } from '../../../../src-main/node/membership/membership-service.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { startLoopbackP2p, waitFor } from '../p2p/loopback-network.ts';

const INTERVAL = Number(process.env.OG_TEST_INTERVAL ?? 2000);
const TIER = 'model-a';
const MEMBERS = 7;

interface Node {
  readonly p2p: P2pService;
  readonly membership: MembershipService;
  readonly id: string;
  readonly changes: MemberChange[];
}

const running: { stop: () => Promise<void> }[] = [];

afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((item) => item.stop()));
});

async function node(bootstrap: string[], serve: boolean): Promise<Node> {
  const p2p = await startLoopbackP2p({ bootstrap, relayServer: bootstrap.length === 0 });
  const membership = new MembershipService(
    { libp2p: p2p.libp2p },
    { heartbeatIntervalMs: INTERVAL, version: 'test' },
  );
  const changes: MemberChange[] = [];
  membership.addEventListener('member-change', (event) => changes.push(event.detail));
  await membership.start();
  if (serve) membership.setLocalState(TIER, { engine: 'ready', modelsReady: ['m'], capacity: 2, load: 0 });
  running.push({
    stop: async () => {
      await membership.stop();
      await p2p.stop();
    },
  });
  return { p2p, membership, id: p2p.peerId, changes };
}

function join(n: Node, serve: boolean): Promise<void> {
  return n.membership.join({ region: 'asia', serve: serve ? [TIER] : [], watch: [TIER] });
}

/** The members `n` holds as up (verified by their own ack). */
function upIn(n: Node): string[] {
  return (n.membership.cluster(TIER)?.members() ?? []).filter((m) => m.status === 'up').map((m) => m.peerId);
}

const intervalsSince = (start: number): number => (Date.now() - start) / INTERVAL;

describe('joins and steady samples over real libp2p nodes', { timeout: 300_000 }, () => {
  it('members that start together hold each other within a few intervals; a settled sample never shrinks; a newcomer is in every sample within a few intervals', async () => {
    const bootstrap = await node([], false);
    const address = bootstrap.p2p.listenAddresses()[0]!;
    await join(bootstrap, false);
    const members = await Promise.all(Array.from({ length: MEMBERS }, () => node([address], true)));
    const start = Date.now();
    await Promise.all(members.map((m) => join(m, true)));
    await waitFor(
      'every member holds every other member',
      () => members.every((m) => upIn(m).length === MEMBERS - 1),
      40 * INTERVAL,
    );
    const settled = intervalsSince(start);

    // A settled cluster: for several intervals, every sample stays full and nobody is reported down.
    const downs = (): number =>
      members.reduce((sum, m) => sum + m.changes.filter((c) => c.to === 'down').length, 0);
    const downsBefore = downs();
    let smallest = MEMBERS - 1;
    const watchUntil = Date.now() + 6 * INTERVAL;
    while (Date.now() < watchUntil) {
      smallest = Math.min(smallest, ...members.map((m) => upIn(m).length));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    // A newcomer joins the settled cluster: every member holds it, and it holds every member.
    const newcomer = await node([address], true);
    const joinedAt = Date.now();
    await join(newcomer, true);
    await waitFor(
      'every member holds the newcomer',
      () => members.every((m) => upIn(m).includes(newcomer.id)) && upIn(newcomer).length === MEMBERS,
      40 * INTERVAL,
    );
    const joined = intervalsSince(joinedAt);
    console.log(
      `settled after ${settled.toFixed(2)} T, smallest sample ${smallest}, newcomer in all after ${joined.toFixed(2)} T`,
    );

    expect(settled).toBeLessThan(8);
    expect(smallest).toBe(MEMBERS - 1);
    expect(downs() - downsBefore).toBe(0);
    expect(joined).toBeLessThan(6);
  });
});
