// The node's membership modules over the simulated network (test/sim): the same code the node runs, with
// latency, loss, crashes and partitions on a virtual clock.
import { describe, expect, it } from 'vitest';
import { encodeMembershipMessage } from '../../../../src-shared/protocol/membership-wire.ts';
import type { MemberChange } from '../../../../src-main/node/membership/member-change.ts';
import { SimulatedCluster, SIM_CLUSTER } from '../../../sim/simulated-cluster.ts';

const INTERVAL = 1000;
const options = { intervalMs: INTERVAL, activeViewSize: 8, passiveViewSize: 24, probeTimeoutMs: 200 };

function formed(n: number, loss = 0, onChange?: (observer: string, change: MemberChange) => void) {
  const cluster = new SimulatedCluster({ loss, seed: 11 }, options, onChange ? { onChange } : {});
  for (let i = 0; i < n; i += 1) cluster.add(4);
  cluster.members.forEach((member, i) =>
    cluster.clock.setTimer((i / n) * INTERVAL, () => member.membership.start()),
  );
  cluster.runFor(15 * INTERVAL);
  return cluster;
}

describe('sampled membership over simulated links', { timeout: 120_000 }, () => {
  it('fills every view with verified members and detects a crash at every holder within 3 intervals', () => {
    const falseDeaths: string[] = [];
    const crashed = new Set<string>();
    const cluster = formed(120, 0.01, (observer, change) => {
      if (change.to === 'down' && !crashed.has(change.peerId))
        falseDeaths.push(`${observer} → ${change.peerId}`);
    });
    // Views are full of verified members (a few entries swapped in by the last shuffle wait for their probe).
    const fill = cluster.members.map((member) => member.membership.members().length);
    expect(Math.min(...fill)).toBeGreaterThanOrEqual(4);
    expect(fill.reduce((a, b) => a + b, 0) / fill.length).toBeGreaterThan(6.5);
    const victim = cluster.members[17]!;
    expect(cluster.holders(victim.id)).toBeGreaterThan(0);
    crashed.add(victim.id);
    cluster.crash(victim);
    cluster.runFor(3 * INTERVAL);
    expect(cluster.holders(victim.id)).toBe(0);
    cluster.runFor(20 * INTERVAL);
    expect(falseDeaths).toEqual([]);
  });

  it('a join is heard by every member within two intervals (SWIM disseminates joins to all)', () => {
    const heard = new Map<string, Set<string>>();
    const cluster = new SimulatedCluster({ loss: 0.01, seed: 5 }, options, {
      onRumor: (observer, rumor) => {
        if (rumor.kind === 'alive') heard.get(rumor.peerId)?.add(observer);
      },
    });
    for (let i = 0; i < 150; i += 1) cluster.add(4);
    cluster.members.forEach((member, i) =>
      cluster.clock.setTimer((i / 150) * INTERVAL, () => member.membership.start()),
    );
    cluster.runFor(25 * INTERVAL);
    const newcomer = cluster.add(4);
    heard.set(newcomer.id, new Set());
    newcomer.membership.start();
    cluster.runFor(2 * INTERVAL);
    // Its view's worth of neighbours is not enough: every member has it as a candidate.
    expect(heard.get(newcomer.id)!.size).toBeGreaterThanOrEqual(149);
  });

  it('a member that leaves is down with reason "left" at every holder within two intervals', () => {
    const changes: MemberChange[] = [];
    const cluster = formed(40, 0, (_observer, change) => changes.push(change));
    const leaver = cluster.members[3]!;
    const holders = cluster.holders(leaver.id);
    expect(holders).toBeGreaterThan(0);
    leaver.membership.stop(true);
    cluster.network.crash(leaver.id);
    cluster.runFor(2 * INTERVAL);
    expect(cluster.holders(leaver.id)).toBe(0);
    const downs = changes.filter((change) => change.peerId === leaver.id && change.to === 'down');
    // Views keep swapping, so not every first holder still held it; every one that did says it left.
    expect(downs.length).toBeGreaterThan(0);
    expect(downs.every((change) => change.reason === 'left')).toBe(true);
  });

  it('a forged death or departure of a live member does not remove it: the holders probe it first', () => {
    const downs: string[] = [];
    const cluster = formed(40, 0, (observer, change) => {
      if (change.to === 'down') downs.push(`${observer} → ${change.peerId}`);
    });
    const target = cluster.members[5]!;
    const holders = cluster.members.filter((m) => m.membership.members().some((s) => s.peerId === target.id));
    expect(holders.length).toBeGreaterThan(0);
    // An outsider tells every holder directly that the target died, and that it left.
    const forger = cluster.network.addNode('12D3KooWForgerForgerForgerForgerForgerForgerForgerFo');
    for (const holder of holders)
      for (const kind of ['dead', 'left'] as const)
        forger.send(
          holder.id,
          encodeMembershipMessage({
            kind: 'ping',
            wantDescriptor: false,
            cluster: `${SIM_CLUSTER.region}/${SIM_CLUSTER.tier}`,
            seq: 1,
            rumors: [{ kind, peerId: target.id, incarnation: 1_000, ttl: 12 }],
          }),
        );
    cluster.runFor(5 * INTERVAL);
    expect(downs).toEqual([]);
    // The target heard the rumor about itself and refuted it with a newer incarnation.
    expect(target.membership.incarnation).toBeGreaterThan(1_000);
  });

  it('nodes cut off by a partition are declared dead on the other side; no one else is', () => {
    const deaths: { observer: string; peerId: string }[] = [];
    const cluster = formed(60, 0, (observer, change) => {
      if (change.to === 'down') deaths.push({ observer, peerId: change.peerId });
    });
    const island = new Set(cluster.members.slice(0, 10).map((m) => m.id));
    for (const id of island) cluster.network.setPartition(id, 1);
    cluster.runFor(6 * INTERVAL);
    expect(deaths.length).toBeGreaterThan(0);
    for (const death of deaths) expect(island.has(death.observer)).not.toBe(island.has(death.peerId));
  });

  it('answers load queries with the member’s own load, and null for a crashed member', () => {
    const cluster = formed(20);
    const asker = cluster.members[0]!;
    const [first, second] = asker.membership.members();
    expect(first && second).toBeTruthy();
    const worker = cluster.members.find((m) => m.id === first!.peerId)!;
    worker.load = { capacity: 6, load: 5, ready: true };
    const crashedWorker = cluster.members.find((m) => m.id === second!.peerId)!;
    cluster.crash(crashedWorker);
    const answers: unknown[] = [];
    asker.membership.queryLoad(worker.id, 500, (report) => answers.push(report));
    asker.membership.queryLoad(crashedWorker.id, 500, (report) => answers.push(report));
    cluster.runFor(INTERVAL);
    expect(answers).toContainEqual({ capacity: 6, load: 5, ready: true });
    expect(answers).toContainEqual(null);
  });

  it('drops and counts undecodable messages without disturbing the node', () => {
    const cluster = formed(10);
    const target = cluster.members[0]!;
    const junk = cluster.network.addNode('12D3KooWJunkJunkJunkJunkJunkJunkJunkJunkJunkJunkJunk');
    for (const bytes of [
      new Uint8Array([0xff, 0x00]),
      new Uint8Array(5000),
      new TextEncoder().encode('hello'),
    ])
      junk.send(target.id, bytes);
    cluster.runFor(INTERVAL);
    expect(target.mux.rejected).toBe(3);
    expect(target.membership.members().length).toBeGreaterThan(0);
  });
});
