// A real node's weights side in its own process (the acceptance tests SIGKILL seeders and the fetcher, and
// the bench measures them): the node's libp2p (P2pService, loopback, private DHT) with a WeightsService.
// Argument: one JSON object (PeerProcessSpec). Output: one JSON object per line (PeerProcessEvent).
// A "corrupt" seeder overwrites its stored leaves with wrong bytes after seeding: the malicious peer of the
// acceptance test, serving blocks whose hash is not their CID.
import { generateKeyPair } from '@libp2p/crypto/keys';
import { FsBlockstore } from 'blockstore-fs';
import { CID } from 'multiformats/cid';
import { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import { PeerPenalties } from '../../../../src-main/node/p2p/peer-penalties.ts';
import { penaliseCorruptSources } from '../../../../src-main/node/weights/corrupt-source-penalty.ts';
import { fileLayout } from '../../../../src-main/node/weights/file-layout.ts';
import type { LeafSchedulerPolicy } from '../../../../src-main/node/weights/leaf-scheduler.ts';
import { WeightsService, type AddressedFile } from '../../../../src-main/node/weights/weights-service.ts';

export type PeerProcessSpec = {
  readonly blocksDir: string;
  readonly file: AddressedFile;
  /** Seed: the verified local file. Fetch: where the file goes. */
  readonly path: string;
  readonly bootstrap?: readonly string[];
  readonly uploadBytesPerSecond?: number;
  /** Serve as the network's circuit relay. Without one, every node keeps random-walking the DHT for a relay
   * to reserve (libp2p's relay discovery), which costs each node a good part of a core. */
  readonly relayServer?: boolean;
  /** The node's region (default "europe"): files are announced and looked up within it. */
  readonly region?: string;
} & (
  | { readonly role: 'seed'; readonly corrupt?: boolean }
  | {
      readonly role: 'fetch';
      readonly providers?: readonly string[];
      readonly policy?: Partial<LeafSchedulerPolicy>;
      /** Wait for this many providers in the DHT before fetching (0: go at once). */
      readonly waitForProviders?: number;
    }
  | {
      /** Only ask the DHT who holds the file, `lookups` times, and report every provider found. */
      readonly role: 'find';
      readonly lookups: number;
      /** Stop at the first lookup that finds someone. */
      readonly stopWhenFound?: boolean;
    }
);

export type PeerProcessEvent =
  | { event: 'ready'; peerId: string; addrs: string[] }
  | { event: 'seeding'; uploadedBytes: number }
  | {
      event: 'progress';
      receivedBytes: number;
      peerBytes: number;
      originBytes: number;
      peers: number;
      /** Date.now() when it was reported. */
      at?: number;
    }
  | { event: 'bad-peer'; peerId: string; reason: string; corrupt: boolean }
  | { event: 'providers'; peerIds: string[] }
  | {
      event: 'done';
      peerBytes: number;
      originBytes: number;
      bytesByPeer: Record<string, number>;
      droppedPeers: string[];
      resumedBytes: number;
      /** The whole process (start-up included) and the fetch alone. */
      cpuMs: number;
      fetchCpuMs: number;
      peakRssBytes: number;
      /** The gossip score of each dropped peer, once it reflects the drop (or after 10 s). */
      droppedScores: Record<string, number>;
    }
  | { event: 'error'; name: string; message: string };

const emit = (event: PeerProcessEvent) => process.stdout.write(`${JSON.stringify(event)}\n`);

const spec = JSON.parse(process.argv[2] ?? '{}') as PeerProcessSpec;
// As a node wires it (node-network.ts, node-weights.ts): corrupt providers lose gossip score.
const penalties = new PeerPenalties();
const p2p = new P2pService(
  { privateKey: await generateKeyPair('Ed25519') },
  {
    listen: ['/ip4/127.0.0.1/tcp/0'],
    bootstrap: [...(spec.bootstrap ?? [])],
    privateNetwork: true,
    localOnly: true,
    upnp: false,
    mdns: false,
    natTraversal: false,
    dht: true,
    relayServer: spec.relayServer ?? false,
    penalty: (peerId) => penalties.points(peerId),
  },
);
await p2p.start();
const weights = new WeightsService(
  { libp2p: p2p.libp2p },
  {
    blocksDir: spec.blocksDir,
    uploadBytesPerSecond: spec.uploadBytesPerSecond ?? 0,
    region: spec.region ?? 'europe',
  },
);
await weights.start();
penaliseCorruptSources(weights, penalties);
weights.addEventListener('bad-peer', (event) => emit({ event: 'bad-peer', ...event.detail }));
const stop = async () => {
  await weights.stop();
  await p2p.stop();
};
process.on('SIGTERM', () => {
  void stop().finally(() => process.exit(0));
});

try {
  if (spec.role === 'seed') {
    await weights.seedFile(spec.file, spec.path);
    if (spec.corrupt === true) await corruptLeaves(spec.blocksDir, spec.file);
    emit({ event: 'ready', peerId: p2p.peerId, addrs: p2p.listenAddresses() });
    setInterval(() => emit({ event: 'seeding', uploadedBytes: weights.uploadedBytes }), 1000);
  } else if (spec.role === 'find') {
    emit({ event: 'ready', peerId: p2p.peerId, addrs: p2p.listenAddresses() });
    const found = new Set<string>();
    for (let i = 0; i < spec.lookups; i++) {
      for (const peerId of await weights.findProviders(spec.file.cid).catch(() => [])) found.add(peerId);
      if (found.size > 0 && spec.stopWhenFound === true) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    emit({ event: 'providers', peerIds: [...found] });
    await stop();
    process.exit(0);
  } else {
    emit({ event: 'ready', peerId: p2p.peerId, addrs: p2p.listenAddresses() });
    const want = spec.waitForProviders ?? 0;
    for (let tries = 0; want > 0 && tries < 100; tries++) {
      const found = await weights.findProviders(spec.file.cid).catch(() => []);
      if (found.length >= want) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    let last = 0;
    const before = process.resourceUsage();
    const result = await weights.fetchFile(spec.file, spec.path, {
      ...(spec.providers ? { providers: spec.providers } : {}),
      ...(spec.policy ? { policy: spec.policy } : {}),
      onProgress: (progress) => {
        const at = Date.now();
        if (at - last < 100 && progress.receivedBytes < progress.totalBytes) return;
        last = at;
        emit({ event: 'progress', ...progress, at });
      },
    });
    const usage = process.resourceUsage();
    // gossipsub caches a peer's score for one heartbeat: wait until each dropped peer's shows the drop.
    const droppedScores: Record<string, number> = {};
    for (const peerId of result.droppedPeers) {
      for (let waited = 0; waited < 10_000; waited += 250) {
        droppedScores[peerId] = p2p.pubsub.getScore(peerId);
        if (droppedScores[peerId] < 0) break;
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    }
    emit({
      event: 'done',
      ...result,
      bytesByPeer: { ...result.bytesByPeer },
      droppedPeers: [...result.droppedPeers],
      cpuMs: (usage.userCPUTime + usage.systemCPUTime) / 1000,
      fetchCpuMs:
        (usage.userCPUTime + usage.systemCPUTime - before.userCPUTime - before.systemCPUTime) / 1000,
      peakRssBytes: usage.maxRSS * 1024,
      droppedScores,
    });
    await stop();
    process.exit(0);
  }
} catch (error) {
  emit({ event: 'error', name: (error as Error).name, message: (error as Error).message });
  await stop();
  process.exit(1);
}

async function corruptLeaves(blocksDir: string, file: AddressedFile): Promise<void> {
  const store = new FsBlockstore(blocksDir);
  await store.open();
  const read = async (cid: CID) => {
    const chunks: Uint8Array[] = [];
    for await (const chunk of store.get(cid)) chunks.push(chunk);
    return Buffer.concat(chunks);
  };
  const leaves = await fileLayout(file.name, CID.parse(file.cid), file.sizeBytes, read);
  for (const leaf of leaves) {
    const bytes = await read(leaf.cid);
    bytes[0] = bytes[0]! ^ 0xff;
    await store.put(leaf.cid, bytes);
  }
}
