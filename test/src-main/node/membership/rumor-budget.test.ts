// One peer cannot make a member consider more than its budget of rumors per interval: a flood of messages full
// of invented members would otherwise fill the member's bounded candidate list and rumor queue with them.
import { describe, expect, it } from 'vitest';
import { encodeMembershipMessage, type Rumor } from '../../../../src-shared/protocol/membership-wire.ts';
import { SimulatedCluster, SIM_CLUSTER } from '../../../sim/simulated-cluster.ts';
import { simulatedPeerId, seededRandom } from '../../../sim/simulated-network.ts';

const INTERVAL = 1000;
const options = { intervalMs: INTERVAL, activeViewSize: 8, passiveViewSize: 24, probeTimeoutMs: 200 };

describe('the per-sender rumor budget', { timeout: 60_000 }, () => {
  it('a flood of invented members from one peer is considered only up to the budget; honest members stay', () => {
    const invented = new Set<string>();
    const heard = new Map<string, number>();
    const cluster = new SimulatedCluster({ seed: 9 }, options, {
      onRumor: (observer, rumor) => {
        if (invented.has(rumor.peerId)) heard.set(observer, (heard.get(observer) ?? 0) + 1);
      },
    });
    for (let i = 0; i < 12; i += 1) cluster.add(4);
    for (const member of cluster.members) member.membership.start();
    cluster.runFor(8 * INTERVAL);
    const victim = cluster.members[0]!;
    const honest = victim.membership.members().length;
    expect(honest).toBeGreaterThan(4);
    const forger = cluster.network.addNode('12D3KooWForgerForgerForgerForgerForgerForgerForgerFo');
    const random = seededRandom(77);
    // 100 messages in one interval, 8 invented members in each.
    for (let m = 0; m < 100; m += 1) {
      const rumors = Array.from({ length: 8 }, (_, i) => {
        const peerId = simulatedPeerId(10_000 + m * 8 + i, random);
        invented.add(peerId);
        return { kind: 'alive' as const, peerId, incarnation: 1, ttl: 12 };
      });
      forger.send(
        victim.id,
        encodeMembershipMessage({
          kind: 'ping',
          wantDescriptor: false,
          cluster: `${SIM_CLUSTER.region}/${SIM_CLUSTER.tier}`,
          seq: m + 1,
          rumors,
        }),
      );
    }
    cluster.runFor(INTERVAL / 2);
    // Before: all 800 were news, each a candidate and a rumor to pass on. Now: 8 messages' worth (of 6).
    expect(heard.get(victim.id) ?? 0).toBeLessThanOrEqual(48);
    cluster.runFor(3 * INTERVAL);
    expect(victim.membership.members().length).toBeGreaterThanOrEqual(honest - 1);

    // Past its budget, a sender's rumor about the victim itself is still read: the victim refutes it.
    const before = victim.membership.incarnation;
    const ping = (seq: number, rumors: Rumor[]) =>
      forger.send(
        victim.id,
        encodeMembershipMessage({
          kind: 'ping',
          wantDescriptor: false,
          cluster: `${SIM_CLUSTER.region}/${SIM_CLUSTER.tier}`,
          seq,
          rumors,
        }),
      );
    for (let m = 0; m < 20; m += 1)
      ping(
        200 + m,
        Array.from({ length: 8 }, (_, i) => ({
          kind: 'alive',
          peerId: simulatedPeerId(20_000 + m * 8 + i, random),
          incarnation: 1,
          ttl: 12,
        })),
      );
    cluster.runFor(INTERVAL / 5);
    ping(300, [{ kind: 'suspect', peerId: victim.id, incarnation: before, ttl: 12 }]);
    cluster.runFor(INTERVAL / 5);
    expect(victim.membership.incarnation).toBeGreaterThan(before);
  });
});
