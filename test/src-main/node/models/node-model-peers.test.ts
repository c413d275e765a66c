// Two real nodes on loopback (libp2p, private DHT, Helia, the built-in engine): the node serving a tier seeds
// its model file, a second node serving the tier fetches it from that peer while the origin is down, and a
// paused node sends nothing until it resumes.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ModelState } from '../../../../src-shared/ipc/models.ts';
import { OpenGatewayNode } from '../../../../src-main/node/node.ts';
import { tinyModelNetwork, until as untilWithin } from '../node-test-kit.ts';
import { ModelFileServer } from './model-file-server.ts';

let root: string;
let server: ModelFileServer;
const nodes: OpenGatewayNode[] = [];

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'og-node-model-peers-'));
  server = new ModelFileServer();
});
afterEach(async () => {
  for (const node of nodes.splice(0).reverse()) await node.stop();
  await server.stop();
  await rm(root, { recursive: true, force: true });
});

const until = (check: () => boolean, what: string) => untilWithin(check, what, 60_000);

describe('model files between nodes', { timeout: 180_000 }, () => {
  it('a serving node seeds its model, a second node fetches it from that peer, pausing stops seeding', async () => {
    const { configPath, bytes, cid, sizeBytes } = await tinyModelNetwork(root, server, { withCid: true });
    const start = async (name: string, bootstrap: string[]) => {
      const node = new OpenGatewayNode({
        dataDir: join(root, name),
        networkConfigPath: configPath,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        bootstrap,
        region: 'europe',
        serveTiers: ['model-a'],
        heartbeatIntervalMs: 300,
        bootstrapWaitMs: 100,
        routing: { engine: { kind: 'builtin', threads: 1, gpu: false } },
        models: { retries: 0, retryDelayMs: () => 0, retryFailedAfterMs: 300 },
        // Short timeouts: a paused seeder must make the download fail soon, not in a minute.
        weights: { policy: { blockTimeoutMs: 2000, stallTimeoutMs: 2000, originMaxFailures: 1 } },
        log: (line) => {
          if (process.env.OG_TEST_LOG) console.log(name, line);
        },
      });
      nodes.push(node);
      await node.start();
      return node;
    };

    // The first node takes the file from the origin and seeds it (the tier it serves).
    const seeder = await start('seeder', []);
    const seederModels = seeder.servicesForTests().models!;
    await until(() => seeder.report().models['model-a']?.status === 'ready', 'the seeder to fetch its model');
    expect(seederModels.seededCids()).toEqual([cid]);
    const seederWeights = seeder.servicesForTests().weights!;
    // Seeding starts once the file's blocks are imported and announced.
    await until(() => seederWeights.seededRoots().includes(cid), 'the seeder to seed its file');

    // The origin goes down: a second node can only get the file from the seeder.
    const originRequests = server.requests.length;
    server.serve('/tiny.gguf', bytes, { status: 503 });
    const address = seeder.servicesForTests().p2p!.listenAddresses()[0]!;
    const fetcher = await start('fetcher', [address]);
    const fetcherModels = fetcher.servicesForTests().models!;
    const seen: ModelState[] = [];
    fetcherModels.addEventListener('model:state', (event) => {
      if (event.detail.tier === 'model-a') seen.push(event.detail.state);
    });
    await until(() => fetcher.report().models['model-a']?.status === 'ready', 'the fetcher to get the file');
    expect(seederWeights.uploadedBytes).toBeGreaterThanOrEqual(sizeBytes);
    const lastDownloading = seen.filter((state) => state.status === 'downloading').at(-1);
    expect(lastDownloading).toMatchObject({ status: 'downloading', originBytes: 0 });
    expect(lastDownloading?.status === 'downloading' && lastDownloading.peerBytes).toBeGreaterThan(0);
    // The origin sent no byte of it (it answered 503 with no body).
    expect(server.requests.slice(originRequests).reduce((sum, r) => sum + r.bytesSent, 0)).toBe(0);
    await until(
      () => fetcher.servicesForTests().weights!.seededRoots().includes(cid),
      'the fetcher to seed what it fetched',
    );

    // Paused: the seeder sends nothing, so a fresh download (origin still down) fails...
    await fetcher.pause();
    await seeder.pause();
    await fetcherModels.remove('model-a');
    const uploadedWhilePaused = seederWeights.uploadedBytes;
    seen.length = 0;
    await fetcher.resume();
    await until(() => seen.some((state) => state.status === 'failed'), 'the download to fail');
    expect(seederWeights.uploadedBytes).toBe(uploadedWhilePaused);
    expect(fetcher.report().models['model-a']?.status).not.toBe('ready');

    // ...and once the seeder resumes, the retry gets it from the seeder.
    await seeder.resume();
    await until(() => fetcher.report().models['model-a']?.status === 'ready', 'the retry to get the file');
    expect(seederWeights.uploadedBytes).toBeGreaterThan(uploadedWhilePaused);
  });
});
