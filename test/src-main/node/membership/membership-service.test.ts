// The node's membership service over real libp2p nodes on 127.0.0.1: sampled views, SWIM probes over
// `/og/membership/2.0.0` streams, load asked on demand, DHT provider records, and hostile bytes.
import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { afterEach, describe, expect, it } from 'vitest';
import {
  findClusterProviders,
  provideCluster,
} from '../../../../src-main/node/membership/cluster-providers.ts';
import type { MemberChange } from '../../../../src-main/node/membership/member-change.ts';
import { MembershipService } from '../../../../src-main/node/membership/membership-service.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import {
  MEMBERSHIP_PROTOCOL,
  decodeMembershipMessage,
  encodeMembershipMessage,
} from '../../../../src-shared/protocol/membership-wire.ts';
import { membersTopic } from '../../../../src-shared/protocol/index.ts';
import type { RegionId } from '../../../../src-shared/regions/index.ts';
import { TEST_TIERS, startLoopbackP2p, waitFor } from '../p2p/loopback-network.ts';

// Long enough that a loaded machine's event-loop stalls do not fail probes (a probe waits interval / 4, ≤ 300 ms).
const INTERVAL = 1000;

interface Member {
  readonly p2p: P2pService;
  readonly membership: MembershipService;
  readonly id: string;
  readonly changes: MemberChange[];
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
    { heartbeatIntervalMs: INTERVAL, version: 'test' },
  );
  const changes: MemberChange[] = [];
  membership.addEventListener('member-change', (event) => changes.push(event.detail));
  await membership.start();
  for (const tier of serve)
    membership.setLocalState(tier, { engine: 'ready', modelsReady: ['m'], capacity: 2, load: 0 });
  await membership.join({ region, serve, watch: TEST_TIERS });
  const node = { p2p, membership, id: p2p.peerId, changes };
  running.push({
    stop: async () => {
      await membership.stop();
      await p2p.stop();
    },
  });
  return node;
}

/** The peer ids `node` holds as live members of `tier` (self excluded). */
function upIn(node: Member, tier: string): string[] {
  return (node.membership.cluster(tier)?.members() ?? [])
    .filter((m) => m.status === 'up')
    .map((m) => m.peerId)
    .sort();
}

function idsOf(nodes: readonly Member[], except?: Member): string[] {
  return nodes
    .filter((other) => other !== except)
    .map((other) => other.id)
    .sort();
}

// Real nodes on a shared two-core machine: generous bounds, never measurements.
describe('sampled membership in the node, over real libp2p nodes on 127.0.0.1', { timeout: 150_000 }, () => {
  it('members find each other; watchers hold the members of tiers they do not serve and never appear', async () => {
    const { address } = await bootstrapNode();
    const nodes = await Promise.all([
      member(address, 'asia', ['model-a', 'model-b']),
      member(address, 'asia', ['model-a', 'model-b']),
      member(address, 'asia', ['model-a']),
      member(address, 'asia', ['model-a']),
    ]);
    const servesB = nodes.slice(0, 2);
    await waitFor(
      'every sample of asia/model-a and asia/model-b holds every member',
      () =>
        nodes.every(
          (node) =>
            JSON.stringify(upIn(node, 'model-a')) === JSON.stringify(idsOf(nodes, node)) &&
            JSON.stringify(upIn(node, 'model-b')) === JSON.stringify(idsOf(servesB, node)),
        ),
      100_000,
    );
    const snapshot = nodes[3].membership.snapshot();
    const clusterB = snapshot.find((cluster) => cluster.key === 'asia/model-b');
    expect(clusterB?.serving).toBe(false);
    expect(clusterB?.members.map((m) => m.peerId).sort()).toEqual(idsOf(servesB));
    expect(clusterB?.members.every((m) => m.engine === 'ready' && m.capacity === 2)).toBe(true);
    const clusterA = snapshot.find((cluster) => cluster.key === 'asia/model-a');
    expect(clusterA?.members.filter((m) => m.self).map((m) => m.peerId)).toEqual([nodes[3].id]);
    // Every gossip topic is a protocol-2 shard of the node's own region.
    for (const node of nodes)
      expect(node.p2p.pubsub.getTopics().every((topic) => topic.startsWith('/og/2/asia/'))).toBe(true);
    expect(nodes.every((node) => node.membership.rejectedCount === 0)).toBe(true);
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
    await new Promise((resolve) => setTimeout(resolve, 4 * INTERVAL));
    for (const node of asia) expect(upIn(node, 'model-a')).toEqual(idsOf(asia, node));
    for (const node of europe) expect(upIn(node, 'model-a')).toEqual(idsOf(europe, node));
  });

  it('a crashed member and a hung one (connected, silent) are dropped; one that shuts down left', async () => {
    const { address } = await bootstrapNode();
    const nodes = await Promise.all([0, 1, 2, 3].map(() => member(address, 'asia', ['model-a'])));
    await waitFor('views converge', () => nodes.every((node) => upIn(node, 'model-a').length === 3));
    const [crashed, hung, leaving, survivor] = nodes as [Member, Member, Member, Member];

    await crashed.p2p.stop();
    await waitFor('crashed member dropped', () => !upIn(survivor, 'model-a').includes(crashed.id));
    expect(survivor.changes.some((c) => c.peerId === crashed.id && c.to === 'down')).toBe(true);

    // Hung: its membership stops answering (no goodbye) while its libp2p stays connected.
    hung.membership.cluster('model-a')!.stop(false);
    await waitFor('hung member dropped', () => !upIn(survivor, 'model-a').includes(hung.id));
    expect(survivor.changes.find((c) => c.peerId === hung.id && c.to === 'down')?.reason).toBe('timeout');
    expect(survivor.p2p.libp2p.getPeers().map(String)).toContain(hung.id);

    await leaving.membership.stop();
    await waitFor('leaving member dropped', () => !upIn(survivor, 'model-a').includes(leaving.id));
    expect(survivor.changes.find((c) => c.peerId === leaving.id && c.to === 'down')?.reason).toBe('left');
  });

  it('what a member says is clamped to the wire format; its load is asked on demand; pause is announced', async () => {
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
    const seen = () => receiver.membership.snapshot().find((c) => c.key === 'asia/model-b')?.members ?? [];
    await waitFor('the sender with its new state', () => seen()[0]?.capacity === 1024);
    expect(seen()[0]?.modelsReady).toHaveLength(8);
    expect(seen()[0]?.version).toBe('test');

    sender.membership.setLocalState('model-b', { engine: 'ready', modelsReady: ['m'], capacity: 4, load: 3 });
    await waitFor('capacity 4', () => seen()[0]?.capacity === 4);
    expect(await receiver.membership.queryLoad('model-b', sender.id)).toEqual({
      capacity: 4,
      load: 3,
      ready: true,
    });
    expect(seen()[0]?.load).toBe(3);

    await sender.membership.pause();
    await waitFor('seen paused', () => seen()[0]?.status === 'paused');
    expect(await receiver.membership.queryLoad('model-b', sender.id)).toMatchObject({ ready: false });
  });

  it('a restarted node rejoins with the same peer id (a newer incarnation than its goodbye)', async () => {
    const { address } = await bootstrapNode();
    const key = await generateKeyPair('Ed25519');
    const watcher = await member(address, 'asia', ['model-a']);
    const first = await member(address, 'asia', ['model-a'], key);
    await waitFor('first run seen', () => upIn(watcher, 'model-a').includes(first.id));
    await first.membership.stop();
    await first.p2p.stop();
    await waitFor('first run gone', () => !upIn(watcher, 'model-a').includes(first.id));
    // Incarnations are whole seconds since the epoch: the next run starts in a later second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const second = await member(address, 'asia', ['model-a'], key);
    expect(second.id).toBe(first.id);
    await waitFor('second run seen up again', () => upIn(watcher, 'model-a').includes(second.id));
  });

  it('members advertise `<region>/<tier>` as DHT provider records that others find', async () => {
    const { address } = await bootstrapNode();
    const members = await Promise.all([
      member(address, 'asia', ['model-c']),
      member(address, 'asia', ['model-c']),
    ]);
    const seeker = await startLoopbackP2p({ bootstrap: [address] });
    running.push(seeker);
    await waitFor('seeker connected', () => seeker.libp2p.getPeers().length > 0);
    // The members provided on join, maybe before the DHT had peers: providing again waits for it to accept.
    for (const m of members) await provideCluster(m.p2p.libp2p, { region: 'asia', tier: 'model-c' });
    let found: string[] = [];
    for (let attempt = 0; attempt < 10 && found.length < 2; attempt += 1)
      found = (
        await findClusterProviders(seeker.libp2p, { region: 'asia', tier: 'model-c' }, 8, 3000)
      ).sort();
    expect(found).toEqual(idsOf(members));
    // Nobody provides a cluster nobody serves.
    expect(await findClusterProviders(seeker.libp2p, { region: 'asia', tier: 'model-d' }, 8, 1000)).toEqual(
      [],
    );
  });

  it('refuses garbage, oversized frames, unknown clusters and garbage gossip; keeps working', async () => {
    const { address } = await bootstrapNode();
    const [victim, honest] = await Promise.all([
      member(address, 'asia', ['model-a']),
      member(address, 'asia', ['model-a']),
    ]);
    await waitFor('honest member seen', () => upIn(victim, 'model-a').includes(honest.id));
    const attacker = await startLoopbackP2p({ bootstrap: [address] });
    running.push(attacker);
    const stream = await attacker.libp2p.dialProtocol(peerIdFromString(victim.id), MEMBERSHIP_PROTOCOL);
    const lp = lpStream(stream);
    await lp.write(Uint8Array.from([0xff, 0x00, 0x13, 0x37]));
    await lp.write(
      encodeMembershipMessage({
        kind: 'ping',
        wantDescriptor: true,
        cluster: 'asia/model-z',
        seq: 1,
        rumors: [],
      }),
    );
    // A forged death of the honest member: the victim probes it instead of believing it.
    await lp.write(
      encodeMembershipMessage({
        kind: 'ping',
        wantDescriptor: false,
        cluster: 'asia/model-a',
        seq: 2,
        rumors: [{ kind: 'dead', peerId: honest.id, incarnation: 2 ** 40, ttl: 1 }],
      }),
    );
    await waitFor('the garbage refused', () => victim.membership.rejectedCount >= 1);
    // A cluster it does not follow is answered "not-member" (not silence, which would look like death).
    const answer = decodeMembershipMessage(
      (await lp.read({ signal: AbortSignal.timeout(10_000) })).subarray(),
    );
    expect(answer.ok && answer.message).toMatchObject({
      kind: 'not-member',
      cluster: 'asia/model-z',
      seq: 1,
    });
    // Over the size limit: the stream is cut, nothing is decoded.
    await lp.write(new Uint8Array(64 * 1024)).catch(() => {});
    // Garbage on the shard topic the victim listens to.
    const topic = victim.p2p.pubsub.getTopics().find((t) => t.startsWith('/og/2/asia/model-a/members/'))!;
    expect(topic).toBe(membersTopic({ region: 'asia', tier: 'model-a' }, Number(topic.split('/').pop())));
    attacker.pubsub.subscribe(topic);
    await waitFor('victim sees the attacker subscribed', () =>
      victim.p2p.pubsub.getSubscribers(topic).some((peer) => peer.toString() === attacker.peerId),
    );
    for (let i = 0; i < 5; i += 1) await attacker.pubsub.publish(topic, Uint8Array.from([0xde, 0xad, i]));
    await waitFor('attacker score drops below zero', () => victim.p2p.pubsub.getScore(attacker.peerId) < 0);

    await new Promise((resolve) => setTimeout(resolve, 3 * INTERVAL));
    expect(upIn(victim, 'model-a')).toEqual([honest.id]);
    expect(await victim.membership.queryLoad('model-a', honest.id)).toEqual({
      capacity: 2,
      load: 0,
      ready: true,
    });
  });
});
