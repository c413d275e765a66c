import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { createPublicKey, type KeyObject } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ConfigUpdates,
  type ConfigUpdateRefused,
  type ConfigUpdated,
} from '../../../../src-main/node/network-config/config-updates.ts';
import {
  founderKeyFromPem,
  generateFounderKey,
  nodeEd25519Verify,
  rawPublicKey,
} from '../../../../src-main/node/network-config/ed25519.ts';
import { NetworkConfigUpdateRefusedError } from '../../../../src-main/node/network-config/errors.ts';
import { initNetwork } from '../../../../src-main/node/network-config/init-network.ts';
import {
  MAX_CONFIG_UPDATE_BYTES,
  encodeConfigUpdate,
  judgeConfigUpdate,
} from '../../../../src-main/node/network-config/judge-config-update.ts';
import {
  loadNetworkConfigFile,
  type LoadedNetworkConfig,
} from '../../../../src-main/node/network-config/load-network-config.ts';
import {
  serializeSignedNetworkConfig,
  signNetworkConfig,
} from '../../../../src-main/node/network-config/sign-network-config.ts';
import { knownGossipTopics } from '../../../../src-main/node/p2p/gossip-topics.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { locationsFor } from '../../../../src-main/node/locations.ts';
import {
  bytesToHex,
  parseNetworkConfig,
  type NetworkConfig,
  type SignedNetworkConfig,
} from '../../../../src-shared/network-config/index.ts';
import { CONFIG_TOPIC } from '../../../../src-shared/protocol/index.ts';
import { startLoopbackP2p, waitFor } from '../p2p/loopback-network.ts';

interface TestNode {
  readonly p2p: P2pService;
  readonly updates: ConfigUpdates;
  readonly storePath: string;
  readonly updated: ConfigUpdated[];
  readonly refused: ConfigUpdateRefused[];
}

let dir: string;
let network: LoadedNetworkConfig;
let founders: KeyObject[];
const running: TestNode[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-config-updates-'));
  const init = await initNetwork({
    outDir: join(dir, 'network'),
    founders: 3,
    threshold: 2,
    networkId: 'og-test',
  });
  network = await loadNetworkConfigFile(init.configPath);
  founders = await Promise.all(
    init.founderKeyPaths.map(async (path) => founderKeyFromPem(await readFile(path, 'utf8'))),
  );
});
afterEach(async () => {
  for (const node of running.splice(0)) {
    await node.updates.stop();
    await node.p2p.stop();
  }
  await rm(dir, { recursive: true, force: true });
});

/** The next revision of `base` with `changes`, signed by `keys`. */
function revision(
  base: NetworkConfig,
  changes: Partial<NetworkConfig>,
  keys: readonly KeyObject[],
): SignedNetworkConfig {
  const config = parseNetworkConfig({
    ...base,
    revision: base.revision + 1,
    issuedAt: base.issuedAt + 1,
    ...changes,
  });
  return signNetworkConfig(config, keys);
}

/** A node of the test network with its own data dir holding the revision-1 config. */
async function startNode(bootstrap: string[] = []): Promise<TestNode> {
  const dataDir = join(dir, `node-${running.length}`);
  await mkdir(dataDir);
  const locations = locationsFor(dataDir);
  await writeFile(locations.networkConfig, serializeSignedNetworkConfig(network.signed));
  // The production gossip settings: only the network's topics are tracked, and all of them are scored.
  const topics = knownGossipTopics(network.config);
  const p2p = await startLoopbackP2p({ bootstrap, dht: false, allowedTopics: topics, scoredTopics: topics });
  const updates = new ConfigUpdates({ libp2p: p2p.libp2p, locations }, { current: network.config });
  const node: TestNode = { p2p, updates, storePath: locations.networkConfig, updated: [], refused: [] };
  updates.addEventListener('config:updated', (event) => node.updated.push(event.detail));
  updates.addEventListener('config:refused', (event) => node.refused.push(event.detail));
  await updates.start();
  running.push(node);
  return node;
}

const publicHex = (key: KeyObject): string => bytesToHex(rawPublicKey(createPublicKey(key)));

/**
 * A hub and two leaves (no DHT, so the leaves only reach each other through the hub): what one leaf publishes
 * reaches the other only if the hub validates and forwards it.
 */
async function startNetwork(): Promise<TestNode[]> {
  const hub = await startNode();
  const address = hub.p2p.listenAddresses()[0]!;
  const nodes = [hub, await startNode([address]), await startNode([address])];
  await waitFor(
    'the hub meshes with both leaves',
    () => hub.p2p.pubsub.getMeshPeers(CONFIG_TOPIC).length === 2,
  );
  for (const leaf of nodes.slice(1))
    await waitFor(
      'each leaf meshes with the hub',
      () => leaf.p2p.pubsub.getMeshPeers(CONFIG_TOPIC).length === 1,
    );
  return nodes;
}

describe('network config updates on /og/2/config', { timeout: 90_000 }, () => {
  it('is a topic every node of the network may track', () => {
    expect(knownGossipTopics(network.config)).toContain(CONFIG_TOPIC);
  });

  it('replaces the stored config on every node with a newer one signed by M of the current founders', async () => {
    const [hub, founderNode, otherLeaf] = await startNetwork();
    const others = [hub!, otherLeaf!];
    const next = revision(network.config, { threshold: 3 }, founders.slice(0, 3));
    await founderNode!.updates.publish(next);

    for (const node of [founderNode!, ...others]) {
      await waitFor('the update adopted', () => node.updated.length === 1);
      expect(node.updated[0]!.config.revision).toBe(2);
      expect(node.updated[0]!.previousRevision).toBe(1);
      expect(node.updates.current.threshold).toBe(3);
      // What a restart reads: a complete, verified revision 2.
      const stored = await loadNetworkConfigFile(node.storePath);
      expect(stored.config.revision).toBe(2);
      expect(stored.config.threshold).toBe(3);
    }
    // The other leaf got it through the hub, which checked it before passing it on.
    expect(otherLeaf!.updated[0]!.publisher).toBe(founderNode!.p2p.peerId);
  });

  it('refuses and penalises forged and foreign configs, ignores stale ones, and keeps working', async () => {
    const [receiver, attacker, honest] = await startNetwork();
    // The attacker publishes raw bytes: its own ConfigUpdates would refuse to send them.
    await attacker!.updates.stop();
    const pubsub = attacker!.p2p.pubsub;

    // The same revision again (properly signed) is not news: dropped without blame.
    await pubsub.publish(CONFIG_TOPIC, encodeConfigUpdate(network.signed));
    await waitFor('the stale config ignored', () => receiver!.refused.length === 1);
    expect(receiver!.refused[0]!.penalised).toBe(false);
    expect(receiver!.refused[0]!.reason).toMatch(/not newer/);

    // Three, because a fourth reject would take the attacker below the graylist threshold (nothing more of
    // its is even looked at); malformed bytes are covered by the judgeConfigUpdate tests below.
    const stranger = generateFounderKey();
    const forgeries = [
      revision(network.config, {}, founders.slice(0, 1)),
      revision(network.config, { founders: [publicHex(stranger.privateKey)], threshold: 1 }, [
        stranger.privateKey,
      ]),
      revision(network.config, { networkId: 'og-other' }, founders.slice(0, 2)),
    ];
    for (const forgery of forgeries) await pubsub.publish(CONFIG_TOPIC, encodeConfigUpdate(forgery));
    await waitFor('every forgery refused', () => receiver!.refused.filter((r) => r.penalised).length === 3);
    expect(receiver!.refused.slice(1).map((r) => r.reason)).toEqual([
      expect.stringMatching(/1 valid signature\(s\) by the current founders, 2 required/),
      expect.stringMatching(/0 valid signature/),
      expect.stringMatching(/network "og-other"/),
    ]);
    await waitFor(
      "the attacker's score falls",
      () => receiver!.p2p.pubsub.getScore(attacker!.p2p.peerId) < 0,
    );
    expect(honest!.refused).toEqual([]);
    expect(receiver!.updated).toEqual([]);
    expect(receiver!.updates.current.revision).toBe(1);
    expect((await loadNetworkConfigFile(receiver!.storePath)).config.revision).toBe(1);

    // A valid update from an honest node still gets through.
    await honest!.updates.publish(revision(network.config, {}, founders.slice(1, 3)));
    await waitFor('the valid update adopted', () => receiver!.updated.length === 1);
    expect((await loadNetworkConfigFile(receiver!.storePath)).config.revision).toBe(2);
  });

  it('adopts only forward: after revision 3, a late revision 2 is ignored', async () => {
    const [a, b] = await startNetwork();
    const two = revision(network.config, {}, founders.slice(0, 2));
    const three = revision(two.config, {}, founders.slice(0, 2));
    await a!.updates.publish(three);
    await waitFor('revision 3 on b', () => b!.updates.current.revision === 3);
    await expect(a!.updates.publish(two)).rejects.toBeInstanceOf(NetworkConfigUpdateRefusedError);
    expect((await loadNetworkConfigFile(b!.storePath)).config.revision).toBe(3);
  });

  it('checks updates against the founders of the config in force, after a founder change too', async () => {
    const [a, b] = await startNetwork();
    // Revision 2 hands the network to a new founder set; it carries the old founders' approval and its own.
    const successors = [generateFounderKey(), generateFounderKey()];
    const successorHex = successors.map((key) => publicHex(key.privateKey));
    const handover = parseNetworkConfig({
      ...network.config,
      revision: 2,
      founders: [...successorHex, publicHex(founders[0]!)],
      threshold: 2,
    });
    await a!.updates.publish(
      signNetworkConfig(handover, [founders[0]!, founders[1]!, successors[0]!.privateKey]),
    );
    await waitFor('the handover on b', () => b!.updates.current.revision === 2);

    // The old founders alone can no longer move the network on.
    const byOldFounders = revision(handover, {}, [founders[1]!, founders[2]!]);
    expect(
      judgeConfigUpdate(b!.updates.current, encodeConfigUpdate(byOldFounders), nodeEd25519Verify),
    ).toMatchObject({
      verdict: 'reject',
    });
    const bySuccessors = revision(
      handover,
      {},
      successors.map((key) => key.privateKey),
    );
    expect(
      judgeConfigUpdate(b!.updates.current, encodeConfigUpdate(bySuccessors), nodeEd25519Verify),
    ).toMatchObject({
      verdict: 'accept',
    });
  });
});

describe('judgeConfigUpdate', () => {
  it('refuses a revision that rewrites the ledger terms, even signed by every founder (finding 4)', async () => {
    const [receiver, founderNode] = await startNetwork();
    const all = founders.slice(0, 3);
    const tier = network.config.tiers[0]!;
    const rewrites = [
      revision(
        network.config,
        { tiers: [{ ...tier, price: tier.price + 1 }, ...network.config.tiers.slice(1)] },
        all,
      ),
      revision(network.config, { ledger: { ...network.config.ledger, ackEveryTokens: 64 } }, all),
      revision(network.config, { fingerprintSalt: `${network.config.fingerprintSalt}-new` }, all),
      revision(
        network.config,
        {
          genesis: [
            ...network.config.genesis,
            { account: peerIdFromPrivateKey(await generateKeyPair('Ed25519')).toString(), amount: 5 },
          ],
        },
        all,
      ),
    ];
    for (const rewrite of rewrites) {
      const judged = judgeConfigUpdate(network.config, encodeConfigUpdate(rewrite), nodeEd25519Verify);
      expect(judged.verdict).toBe('reject');
      expect(judged.verdict === 'reject' ? judged.reason : '').toMatch(/changes the ledger's terms/);
    }
    // Published by a founder's node that bypasses its own check: the receiver keeps its config.
    await founderNode!.updates.stop();
    await founderNode!.p2p.pubsub.publish(CONFIG_TOPIC, encodeConfigUpdate(rewrites[0]!));
    await waitFor('the price change refused', () => receiver!.refused.length === 1);
    expect(receiver!.refused[0]!.reason).toMatch(/price of/);
    expect(receiver!.updates.current.tiers[0]!.price).toBe(tier.price);
    expect((await loadNetworkConfigFile(receiver!.storePath)).config.revision).toBe(1);
  });

  it('rejects bytes that are not a signed config document', () => {
    const text = (value: string) => new TextEncoder().encode(value);
    for (const bytes of [
      text('{"config": '),
      new Uint8Array([0xff, 0xfe, 0x7b, 0x7d]),
      text(JSON.stringify({ ...network.signed, extra: 1 })),
      text(JSON.stringify({ ...network.signed, config: { ...network.config, revision: 2, tiers: 'all' } })),
      text('[]'),
      new Uint8Array(0),
    ]) {
      const verdict = judgeConfigUpdate(network.config, bytes, nodeEd25519Verify);
      expect(verdict.verdict).toBe('reject');
      expect(verdict.verdict === 'accept' ? '' : verdict.reason).toMatch(/^malformed/);
    }
  });

  it('rejects an update larger than the limit before decoding it', () => {
    const bytes = new Uint8Array(MAX_CONFIG_UPDATE_BYTES + 1).fill(0x20);
    expect(judgeConfigUpdate(network.config, bytes, nodeEd25519Verify)).toEqual({
      verdict: 'reject',
      reason: `larger than ${MAX_CONFIG_UPDATE_BYTES} bytes`,
    });
  });

  it('rejects a config that the current founders signed but its own founders did not', () => {
    // Restarting would fail on it: the stored file is checked against its own founder list.
    const stranger = generateFounderKey();
    const next = revision(
      network.config,
      { founders: [publicHex(stranger.privateKey)], threshold: 1 },
      founders.slice(0, 2),
    );
    const verdict = judgeConfigUpdate(network.config, encodeConfigUpdate(next), nodeEd25519Verify);
    expect(verdict.verdict).toBe('reject');
  });
});
