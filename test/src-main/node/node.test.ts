import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { serveNode, type ServedNode } from '../../../src-main/node/local-api/serve-node.ts';
import { initNetwork } from '../../../src-main/node/network-config/init-network.ts';
import { NodeAlreadyRunningError, OpenGatewayNode, type NodeOptions } from '../../../src-main/node/node.ts';

let root: string;
let configPath: string;
const nodes: OpenGatewayNode[] = [];
const servedNodes: ServedNode[] = [];

/** The node with its local API, as the CLI's start runs it. */
async function serve(target: OpenGatewayNode): Promise<ServedNode> {
  const served = await serveNode(target, { apiPort: 0, shell: 'headless' });
  servedNodes.push(served);
  return served;
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'og-node-'));
  configPath = (await initNetwork({ outDir: join(root, 'net'), founders: 1, threshold: 1 })).configPath;
});

afterEach(async () => {
  await Promise.allSettled(servedNodes.splice(0).map((served) => served.stop()));
  await Promise.allSettled(nodes.splice(0).map((node) => node.stop()));
  await rm(root, { recursive: true, force: true });
});

function node(options: Partial<NodeOptions> & { addresses?: () => string[] } = {}): OpenGatewayNode {
  const { addresses, ...rest } = options;
  const created = new OpenGatewayNode({
    dataDir: join(root, 'data'),
    networkConfigPath: configPath,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    region: 'europe',
    serveTiers: ['model-a'],
    heartbeatIntervalMs: 300,
    ...(addresses ? { networkChange: { intervalMs: 50, addresses } } : {}),
    ...rest,
  });
  nodes.push(created);
  return created;
}

describe('the node (composition root)', { timeout: 90_000 }, () => {
  it('onboards to ready, reports its state, and decides the region again when the network changes', async () => {
    const lines: string[] = [];
    let addresses = ['192.168.1.20'];
    const first = node({ log: (line) => lines.push(line), addresses: () => addresses });
    const steps: string[] = [];
    first.addEventListener('status', (event) => {
      const status = event.detail;
      steps.push(status.status === 'onboarding' ? status.step : status.status);
    });
    const served = await serve(first);
    expect(steps).toEqual(['identity', 'profile', 'geo', 'qualify', 'join', 'engines', 'heartbeat', 'ready']);
    const report = first.report();
    expect(report.state).toMatchObject({ status: 'ready', clusters: 1 });
    expect(report.region).toMatchObject({ region: 'europe', source: 'override' });
    expect(report.clusters.find((c) => c.key === 'europe/model-a')?.serving).toBe(true);
    expect((await stat(first.locations.apiEndpoint)).mode & 0o777).toBe(0o600);

    addresses = ['10.9.8.7'];
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(lines.some((line) => line.includes('network: interfaces changed (10.9.8.7)'))).toBe(true);

    await served.stop();
    await expect(stat(first.locations.apiEndpoint)).rejects.toThrow(/ENOENT/);
  });

  it('refuses a second node on the same data directory', async () => {
    const first = node();
    const served = await serve(first);
    const endpoint = await readFile(first.locations.apiEndpoint, 'utf8');
    // The data directory is locked (an OS lock, not a pid check): the second node is refused before it
    // touches the first one's api.json, whether it is served or started bare.
    await expect(serve(node())).rejects.toThrow(NodeAlreadyRunningError);
    await expect(node().start()).rejects.toThrow(NodeAlreadyRunningError);
    expect(await readFile(first.locations.apiEndpoint, 'utf8')).toBe(endpoint);
    // Once the first stops, the directory is free again.
    await served.stop();
    const next = await serve(node());
    expect(next.api.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('starts with the stored network config the second time, and on the default network when there is none', async () => {
    const first = node();
    await first.start();
    await first.stop();
    const again = node({ networkConfigPath: undefined });
    await again.start();
    expect(again.networkConfig?.networkId).toBe(first.networkConfig?.networkId);
    await again.stop();
    const lines: string[] = [];
    const fresh = new OpenGatewayNode({
      dataDir: join(root, 'empty'),
      region: 'europe',
      listen: ['/ip4/127.0.0.1/tcp/0'],
      localOnly: true,
      log: (line) => lines.push(line),
    });
    nodes.push(fresh);
    await fresh.start();
    expect(fresh.networkConfig?.networkId).toBe('opengateway-main');
    // Alone (local-only: the bootstrap names are not even looked up) is not an error.
    const state = fresh.report().state;
    expect(state).toMatchObject({ status: 'looking-for-peers', nextAttemptAt: null });
    expect(state.status === 'looking-for-peers' && state.tried).toHaveLength(1);
    expect(state.status === 'looking-for-peers' && state.tried[0]).toMatch(
      /^7 bootstrap names not looked up \(local-only mode, OPENGATEWAY_LOCAL_ONLY=1\), e\.g\. [a-z-]+\.bootstrap\.opengateway\.network$/,
    );
    expect(lines).toContain(
      'p2p: not resolving /dnsaddr/asia.bootstrap.opengateway.network (OPENGATEWAY_LOCAL_ONLY=1)',
    );
  });

  it('goes from "looking for peers" to ready when a peer connects, and back when the last one leaves', async () => {
    const seed = node({ dataDir: join(root, 'seed'), serveTiers: [] });
    await seed.start();
    const address = seed
      .servicesForTests()
      .p2p!.listenAddresses()
      .find((a) => a.startsWith('/ip4/127.0.0.1/'))!;
    // An address nobody listens on: the node dials it with backoff and says so.
    const alone = node({
      dataDir: join(root, 'alone'),
      bootstrap: ['/ip4/127.0.0.1/tcp/1/p2p/' + seed.servicesForTests().p2p!.peerId],
      bootstrapWaitMs: 100,
    });
    await alone.start();
    const state = alone.report().state;
    expect(state).toMatchObject({ status: 'looking-for-peers' });
    expect(state.status === 'looking-for-peers' && state.tried[0]).toMatch(
      /^\/ip4\/127\.0\.0\.1\/tcp\/1\/p2p\/.*: no answer yet/,
    );
    expect(state.status === 'looking-for-peers' && state.nextAttemptAt).toBeGreaterThan(Date.now() - 1000);

    await alone.servicesForTests().p2p!.libp2p.dial(multiaddr(address));
    await vi.waitFor(() => expect(alone.report().state.status).toBe('ready'));
    await seed.stop();
    await vi.waitFor(() => expect(alone.report().state.status).toBe('looking-for-peers'), {
      timeout: 10_000,
    });
  });
});
