import { generateKeyPair } from '@libp2p/crypto/keys';
import { encode } from 'cborg';
import { afterEach, describe, expect, it } from 'vitest';
import { MembershipService } from '../../../../src-main/node/membership/membership-service.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import {
  MAX_HEARTBEAT_BYTES,
  encodeHeartbeat,
  membersTopic,
  type Heartbeat,
} from '../../../../src-shared/protocol/index.ts';
import type { RegionId } from '../../../../src-shared/regions/index.ts';
import { TEST_TIERS, startLoopbackP2p, waitFor } from '../p2p/loopback-network.ts';

const INTERVAL = 300;

interface Member {
  readonly p2p: P2pService;
  readonly membership: MembershipService;
  readonly id: string;
}

const running: { stop: () => Promise<void> }[] = [];

afterEach(async () => {
  await Promise.allSettled(running.splice(0).map((item) => item.stop()));
});

async function bootstrapNode(): Promise<{ p2p: P2pService; address: string }> {
  const p2p = await startLoopbackP2p({ relayServer: true });
  running.push(p2p);
  return { p2p, address: p2p.listenAddresses()[0]! };
}

async function member(
  bootstrap: string,
  region: RegionId,
  serve: readonly string[],
  privateKey?: Awaited<ReturnType<typeof generateKeyPair>>,
): Promise<Member> {
  const p2p = await startLoopbackP2p({ bootstrap: [bootstrap] }, privateKey as never);
  const membership = new MembershipService(
    { libp2p: p2p.libp2p },
    { heartbeatIntervalMs: INTERVAL, missedHeartbeats: 3, version: 'test' },
  );
  await membership.start();
  await membership.join({ region, serve, watch: TEST_TIERS });
  const node = { p2p, membership, id: p2p.peerId };
  running.push({
    stop: async () => {
      await membership.stop();
      await p2p.stop();
    },
  });
  return node;
}

/** The peer ids `node` currently sees up in `tier` (self excluded). */
function upIn(node: Member, tier: string): string[] {
  return (node.membership.view(tier)?.members() ?? [])
    .filter((record) => record.status === 'up')
    .map((record) => record.peerId)
    .sort();
}

function othersOf(nodes: readonly Member[], node: Member): string[] {
  return nodes
    .filter((other) => other !== node)
    .map((other) => other.id)
    .sort();
}

// Real nodes on a shared two-core machine: generous bounds, never measurements.
describe('membership over real libp2p nodes on 127.0.0.1', { timeout: 90_000 }, () => {
  it('nodes find each other from one bootstrap node and every view of every cluster converges', async () => {
    const { address } = await bootstrapNode();
    const nodes = await Promise.all([
      member(address, 'asia', ['model-a', 'model-b']),
      member(address, 'asia', ['model-a', 'model-b']),
      member(address, 'asia', ['model-a']),
      member(address, 'asia', ['model-a']),
    ]);
    const servesB = nodes.slice(0, 2);
    await waitFor('full views of asia/model-a and asia/model-b', () =>
      nodes.every(
        (node) =>
          JSON.stringify(upIn(node, 'model-a')) === JSON.stringify(othersOf(nodes, node)) &&
          JSON.stringify(upIn(node, 'model-b')) ===
            JSON.stringify(
              servesB
                .filter((m) => m !== node)
                .map((m) => m.id)
                .sort(),
            ),
      ),
    );
    // Non-serving members still watch model-b (for routing) but never appear in it.
    const snapshot = nodes[3].membership.snapshot();
    const clusterB = snapshot.find((cluster) => cluster.key === 'asia/model-b');
    expect(clusterB?.serving).toBe(false);
    expect(clusterB?.members.map((m) => m.peerId).sort()).toEqual(servesB.map((m) => m.id).sort());
    const clusterA = snapshot.find((cluster) => cluster.key === 'asia/model-a');
    expect(clusterA?.members.filter((m) => m.self).map((m) => m.peerId)).toEqual([nodes[3].id]);
    // The nodes found each other, not only the bootstrap node.
    expect(nodes.every((node) => node.p2p.connectionCount() >= 2)).toBe(true);
  });

  it('two regions never see each other’s cluster members', async () => {
    const { address } = await bootstrapNode();
    const asia = await Promise.all([
      member(address, 'asia', ['model-a']),
      member(address, 'asia', ['model-a']),
    ]);
    const europe = await Promise.all([
      member(address, 'europe', ['model-a']),
      member(address, 'europe', ['model-a']),
    ]);
    await waitFor('both regions converge', () =>
      [...asia, ...europe].every((node) => upIn(node, 'model-a').length === 1),
    );
    // Several more heartbeat intervals: nothing crosses over.
    await new Promise((resolve) => setTimeout(resolve, 4 * INTERVAL));
    for (const node of asia) expect(upIn(node, 'model-a')).toEqual(othersOf(asia, node));
    for (const node of europe) expect(upIn(node, 'model-a')).toEqual(othersOf(europe, node));
    for (const node of asia) {
      expect(node.p2p.pubsub.getTopics().every((topic) => topic.startsWith('/og/1/asia/'))).toBe(true);
      expect(
        node.membership
          .view('model-a')
          ?.members()
          .map((m) => m.peerId),
      ).not.toContain(europe[0].id);
    }
  });

  it('marks a crashed member down, and a member that shuts down as having left', async () => {
    const { address } = await bootstrapNode();
    const nodes = await Promise.all([0, 1, 2].map(() => member(address, 'asia', ['model-a'])));
    await waitFor('views converge', () => nodes.every((node) => upIn(node, 'model-a').length === 2));
    const [crashed, leaving, survivor] = nodes as [Member, Member, Member];

    // A crash: the connections vanish without a goodbye.
    await crashed.p2p.stop();
    await waitFor('crashed member marked down', () => {
      const record = survivor.membership.view('model-a')?.get(crashed.id);
      return record?.status === 'down';
    });
    expect(['disconnected', 'timeout']).toContain(
      survivor.membership.view('model-a')?.get(crashed.id)?.downReason,
    );

    // A clean shutdown announces leaving before the connections close.
    await leaving.membership.stop();
    await waitFor(
      'leaving member marked down',
      () => survivor.membership.view('model-a')?.get(leaving.id)?.status === 'down',
    );
    expect(survivor.membership.view('model-a')?.get(leaving.id)?.downReason).toBe('left');
  });

  it('marks a silent member down after the missed heartbeats even while still connected', async () => {
    const { address } = await bootstrapNode();
    const watcher = await member(address, 'asia', ['model-a']);
    // A hung member: it beats once by hand, then stays connected and says nothing more.
    const hung = await startLoopbackP2p({ bootstrap: [address] });
    running.push(hung);
    const topic = membersTopic({ region: 'asia', tier: 'model-a' });
    hung.pubsub.subscribe(topic);
    await hung.libp2p.dial(watcher.p2p.libp2p.peerId);
    await waitFor('watcher sees the subscription', () =>
      watcher.p2p.pubsub.getSubscribers(topic).some((peer) => peer.toString() === hung.peerId),
    );
    const now = Date.now();
    await hung.pubsub.publish(
      topic,
      encodeHeartbeat({
        peerId: hung.peerId,
        region: 'asia',
        tier: 'model-a',
        state: 'active',
        engine: 'ready',
        modelsReady: [],
        capacity: 1,
        load: 0,
        version: 'test',
        seq: now,
        sentAt: now,
        intervalMs: INTERVAL,
      }),
    );
    await waitFor('hung member seen up', () => upIn(watcher, 'model-a').includes(hung.peerId));
    await waitFor(
      'hung member marked down',
      () => watcher.membership.view('model-a')?.get(hung.peerId)?.status === 'down',
    );
    expect(watcher.membership.view('model-a')?.get(hung.peerId)?.downReason).toBe('timeout');
    expect(watcher.p2p.libp2p.getPeers().map(String)).toContain(hung.peerId);
  });

  it('heartbeats carry the engine state, clamped to what the wire format allows', async () => {
    const { address } = await bootstrapNode();
    const [sender, receiver] = await Promise.all([
      member(address, 'asia', ['model-b']),
      member(address, 'asia', ['model-a']),
    ]);
    sender.membership.setLocalState('model-b', {
      engine: 'ready',
      modelsReady: Array.from({ length: 20 }, (_, i) => `model-${i}`),
      capacity: 5000,
      load: -3,
    });
    await waitFor(
      'a heartbeat with the engine state',
      () => receiver.membership.view('model-b')?.get(sender.id)?.heartbeat.engine === 'ready',
    );
    const heartbeat = receiver.membership.view('model-b')!.get(sender.id)!.heartbeat;
    expect(heartbeat.capacity).toBe(1024);
    expect(heartbeat.load).toBe(0);
    expect(heartbeat.modelsReady).toHaveLength(8);
    expect(heartbeat.version).toBe('test');
  });

  it('a restarted node rejoins with the same peer id', async () => {
    const { address } = await bootstrapNode();
    const key = await generateKeyPair('Ed25519');
    const watcher = await member(address, 'asia', ['model-a']);
    const first = await member(address, 'asia', ['model-a'], key);
    await waitFor('first run seen', () => upIn(watcher, 'model-a').includes(first.id));
    await first.membership.stop();
    await first.p2p.stop();
    await waitFor('first run gone', () => !upIn(watcher, 'model-a').includes(first.id));

    const second = await member(address, 'asia', ['model-a'], key);
    expect(second.id).toBe(first.id);
    await waitFor('second run seen up again', () => upIn(watcher, 'model-a').includes(second.id));
  });

  it('rejects malformed, oversized, wrong-region and forged heartbeats, lowers the sender’s score, keeps working', async () => {
    const { address } = await bootstrapNode();
    const [victim, honest] = await Promise.all([
      member(address, 'asia', ['model-a']),
      member(address, 'asia', ['model-a']),
    ]);
    const attacker = await startLoopbackP2p({ bootstrap: [address] });
    running.push(attacker);
    const topic = membersTopic({ region: 'asia', tier: 'model-a' });
    attacker.pubsub.subscribe(topic);
    await attacker.libp2p.dial(victim.p2p.libp2p.peerId);
    await waitFor('victim sees the attacker subscribed', () =>
      victim.p2p.pubsub.getSubscribers(topic).some((peer) => peer.toString() === attacker.peerId),
    );
    await waitFor('honest member seen', () => upIn(victim, 'model-a').includes(honest.id));

    const valid: Heartbeat = {
      peerId: attacker.peerId,
      region: 'asia',
      tier: 'model-a',
      state: 'active',
      engine: 'ready',
      modelsReady: ['m'],
      capacity: 1,
      load: 0,
      version: 'x',
      seq: Date.now(),
      sentAt: Date.now(),
      intervalMs: INTERVAL,
    };
    const reasons: string[] = [];
    victim.membership.addEventListener('heartbeat-rejected', (event) => reasons.push(event.detail.reason));
    const bad = [
      Uint8Array.from([0xff, 0x00, 0x13, 0x37]),
      encode({
        ...JSON.parse(JSON.stringify(valid)),
        peer: valid.peerId,
        v: 1,
        pad: 'x'.repeat(MAX_HEARTBEAT_BYTES),
      }),
      encodeHeartbeat({ ...valid, region: 'europe', seq: valid.seq + 1 }),
      encodeHeartbeat({ ...valid, peerId: honest.id, seq: valid.seq + 2 }),
    ];
    for (const data of bad) await attacker.pubsub.publish(topic, data);
    await waitFor('four rejects', () => victim.membership.rejectedCount >= 4);
    expect(reasons).toHaveLength(4);
    expect(reasons[0]).toMatch(/CBOR|not a map/);
    expect(reasons[1]).toMatch(/too large/);
    expect(reasons[2]).toMatch(/claims region europe/);
    expect(reasons[3]).toMatch(/signed by a different key/);
    // Nothing of it reached the view: the attacker is not a member, the honest member is unchanged.
    expect(victim.membership.view('model-a')?.get(attacker.peerId)).toBeUndefined();
    expect(victim.membership.view('model-a')?.get(honest.id)?.heartbeat.peerId).toBe(honest.id);
    await waitFor('attacker score drops below zero', () => victim.p2p.pubsub.getScore(attacker.peerId) < 0);

    // The victim keeps working: fresh heartbeats from the honest member still arrive.
    const seqBefore = victim.membership.view('model-a')?.get(honest.id)?.heartbeat.seq ?? 0;
    await waitFor(
      'new honest heartbeat',
      () => (victim.membership.view('model-a')?.get(honest.id)?.heartbeat.seq ?? 0) > seqBefore,
    );
  });
});
