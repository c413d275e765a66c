// A node that does not follow a cluster answers "not-member" to its requests, so members stop trying it (the
// devnet's europe worker sent the asia workers a probe or a join every few ticks, for every cluster, forever),
// and a node that joins later is still found at once.
import { describe, expect, it } from 'vitest';
import { decodeMembershipMessage } from '../../../../src-shared/protocol/membership-wire.ts';
import { SimulatedCluster, SIM_CLUSTER } from '../../../sim/simulated-cluster.ts';

const INTERVAL = 1000;
const options = { intervalMs: INTERVAL, activeViewSize: 8, passiveViewSize: 24, probeTimeoutMs: 200 };

describe('membership messages for a cluster a node does not follow', { timeout: 60_000 }, () => {
  it('are answered "not-member": members stop trying that node, and see it once it joins', () => {
    const cluster = new SimulatedCluster({ seed: 21 }, options);
    const members = [cluster.add(4), cluster.add(4)];
    // A node of the region that serves another cluster, yet is offered as a seed (a connected peer, a
    // provider record from before it left): it follows nothing of this cluster.
    const other = cluster.add(4);
    other.mux.remove(other.membership);
    cluster.network.advertiseAs(other.id, SIM_CLUSTER);
    for (const member of members) member.membership.start();
    cluster.runFor(2 * INTERVAL);
    cluster.network.resetTraffic();
    cluster.runFor(30 * INTERVAL);
    // Before: every unanswered first contact was retried, and views that ran empty re-seeded from it every
    // interval (~2 messages per member per interval).
    expect(cluster.network.traffic(other.id).received).toBeLessThanOrEqual(12);
    expect(other.mux.notFollowed).toBeGreaterThan(0);
    expect(other.mux.rejected).toBe(0);
    expect(members[0]!.membership.holdsAlive(members[1]!.id)).toBe(true);
    // It joins: its first contacts introduce it, and both members take it in within two intervals.
    other.mux.add(other.membership);
    other.membership.start();
    cluster.runFor(2 * INTERVAL);
    for (const member of members) expect(member.membership.holdsAlive(other.id)).toBe(true);
    expect(other.membership.members().length).toBe(2);
  });

  it('a watcher answers a probe "not-member", and members stop probing it', () => {
    const cluster = new SimulatedCluster({ seed: 4 }, options);
    const member = cluster.add(4);
    // A watcher offered as a seed (a connected peer, as the bootstrap node is to every worker).
    const watcher = cluster.add(0);
    cluster.network.advertiseAs(watcher.id, SIM_CLUSTER);
    let asked = 0;
    cluster.network.tamper = (from, to, bytes) => {
      const decoded = decodeMembershipMessage(bytes);
      const request =
        decoded.ok && ['ping', 'ping-req', 'shuffle', 'load-query'].includes(decoded.message.kind);
      if (from === member.id && to === watcher.id && request) asked += 1;
      return bytes;
    };
    member.membership.start();
    watcher.membership.start();
    cluster.runFor(30 * INTERVAL);
    // The watcher samples the member (to route to it); the member holds no watcher.
    expect(watcher.membership.holdsAlive(member.id)).toBe(true);
    expect(member.membership.holds(watcher.id)).toBe(false);
    // Before: the silent watcher was verified three times, forgotten, re-seeded, verified again (121 asks in
    // 30 intervals). Now: a verification when its answer expires, and a join through it at each re-seed
    // (backing off to one every 8 intervals), which is how a watcher learns of a lone member.
    expect(asked).toBeLessThanOrEqual(16);
  });
});
