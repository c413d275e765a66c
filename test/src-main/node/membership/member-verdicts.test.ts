// What a member concludes about the others when messages go missing the way they do on a busy machine (the
// devnet's two workers that did not see each other for a minute under CI's load): the node's own membership
// modules over the simulated network.
import { describe, expect, it } from 'vitest';
import {
  decodeMembershipMessage,
  encodeMembershipMessage,
} from '../../../../src-shared/protocol/membership-wire.ts';
import { readyDescriptor, SimulatedCluster } from '../../../sim/simulated-cluster.ts';

const INTERVAL = 1000;
const options = { intervalMs: INTERVAL, activeViewSize: 8, passiveViewSize: 24, probeTimeoutMs: 200 };

function pair(seed: number) {
  const cluster = new SimulatedCluster({ seed }, options);
  const a = cluster.add(4);
  const b = cluster.add(4);
  a.membership.start();
  cluster.clock.setTimer(INTERVAL / 3, () => b.membership.start());
  cluster.runFor(5 * INTERVAL);
  return { cluster, a, b };
}

const capacityOf = (
  holder: { membership: { members(): { peerId: string; descriptor: { capacity: number } }[] } },
  peerId: string,
) => holder.membership.members().find((member) => member.peerId === peerId)?.descriptor.capacity;

describe('member verdicts under lost messages', { timeout: 60_000 }, () => {
  it('a member’s new descriptor reaches its holder even when every rumor of it is lost (the ack’s incarnation says it changed)', () => {
    const { cluster, a, b } = pair(3);
    expect(capacityOf(a, b.id)).toBe(4);
    // The "alive" rumor announcing the change never reaches A (spent on other peers, lost with a stream):
    // every message from B still arrives, without that rumor.
    cluster.network.tamper = (from, _to, bytes) => {
      if (from !== b.id) return bytes;
      const decoded = decodeMembershipMessage(bytes);
      if (!decoded.ok) return bytes;
      const rumors = decoded.message.rumors.filter(
        (rumor) => !(rumor.kind === 'alive' && rumor.peerId === b.id),
      );
      return encodeMembershipMessage({ ...decoded.message, rumors });
    };
    b.membership.setDescriptor(readyDescriptor(6));
    cluster.runFor(3 * INTERVAL);
    expect(capacityOf(a, b.id)).toBe(6);
  });

  it('two members that declared each other dead (a stall longer than the suspicion) see each other again', () => {
    const { cluster, a, b } = pair(7);
    expect(a.membership.holds(b.id) && b.membership.holds(a.id)).toBe(true);
    // Both stall (or the link does) long enough for each to bury the other, and the news of the deaths
    // never reaches the dead (so neither refutes), as when both event loops are busy at once.
    cluster.network.tamper = (_from, to, bytes) => {
      const decoded = decodeMembershipMessage(bytes);
      if (!decoded.ok) return bytes;
      const rumors = decoded.message.rumors.filter((rumor) => rumor.peerId !== to);
      return encodeMembershipMessage({ ...decoded.message, rumors });
    };
    cluster.network.setPartition(b.id, 1);
    cluster.runFor(4 * INTERVAL);
    expect(a.membership.holds(b.id) || b.membership.holds(a.id)).toBe(false);
    cluster.network.setPartition(b.id, 0);
    cluster.runFor(4 * INTERVAL);
    expect(a.membership.holdsAlive(b.id)).toBe(true);
    expect(b.membership.holdsAlive(a.id)).toBe(true);
  });
});
