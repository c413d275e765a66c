// The contract as a dashboard sees it: a real node (libp2p, membership, routing, the EXO double as its engine
// process) behind its own local API, driven through /api/ws by the renderer's WebSocket transport.
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ContractCallError,
  createContractClient,
  type ChatEvent,
  type ClusterView,
  type ContractClient,
  type Notification,
} from '../../../../../src-shared/ipc/index.ts';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { loadOrCreateNodeKey } from '../../../../../src-main/node/identity/node-key.ts';
import { locationsFor } from '../../../../../src-main/node/locations.ts';
import { initNetwork } from '../../../../../src-main/node/network-config/init-network.ts';
import { OpenGatewayNode } from '../../../../../src-main/node/node.ts';
import { serveNode, type ServedNode } from '../../../../../src-main/node/local-api/serve-node.ts';
import { formatTokens } from '../../../../../src-shared/ledger/token-amount.ts';
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import type { Block } from '../../../../../src-shared/ledger/block.ts';
import {
  buildReserve,
  buildSettle,
  reserveTermsFor,
} from '../../../../../src-shared/ledger/block-builders.ts';
import type { LedgerParams } from '../../../../../src-shared/ledger/ledger-params.ts';
import { ledgerParamsFromConfig } from '../../../../../src-main/node/ledger/ledger-params-from-config.ts';
import { LedgerService } from '../../../../../src-main/node/ledger/ledger-service.ts';
import { signerFromIdentity } from '../../../../../src-main/node/ledger/ledger-signer.ts';
import { readNodeSettings } from '../../../../../src-main/node/settings/node-settings.ts';
import {
  createWebSocketTransport,
  type WebSocketTransport,
} from '../../../../../src-renderer/src/transport/websocket-transport.ts';
import { promptTokenCount } from '../../../../../src-shared/protocol/prompt-token-count.ts';
import { EXO_LAUNCHER } from '../../engine/engine-test-kit.ts';

let root: string;
let node: OpenGatewayNode;
let served: ServedNode;
let transport: WebSocketTransport;
let client: ContractClient;
const notifications: Notification[] = [];
let payer: Ed25519PrivateKey;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined): Promise<T> {
  // Bounded by the test's timeout; polls what a dashboard would see.
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 50));
    if (!node) throw new Error(`gave up waiting for ${what}`);
  }
}

/** The payer's OPEN, RESERVE and SETTLE paying `payee` for 1 prompt + 2 completion tokens (3,000 µT at model-a). */
async function payerChain(params: LedgerParams, payee: Uint8Array): Promise<Block[]> {
  const dir = await mkdtemp(join(tmpdir(), 'og-payer-'));
  const ledger = new LedgerService(
    { signer: signerFromIdentity(payer), fingerprint: [] },
    { params, dbPath: join(dir, 'ledger.sqlite') },
  );
  await ledger.start();
  try {
    const requestId = new Uint8Array(32).fill(7);
    const terms = reserveTermsFor(
      params,
      'model-a',
      requestId,
      [{ pk: payee, weight: 1n }],
      10,
      10,
      BigInt(Date.now() + 30_000),
    );
    const blocks = [ledger.ensureOpen()!];
    blocks.push(
      ledger.appendOwn((state) =>
        buildReserve(params, state!, BigInt(Date.now()), {
          requestId,
          worker: payee,
          maxPromptTokens: 10,
          maxCompletionTokens: 10,
          terms,
        }),
      ),
    );
    blocks.push(
      ledger.appendOwn((state) =>
        buildSettle(
          params,
          state!,
          BigInt(Date.now()),
          state!.open.values().next().value!,
          requestId,
          requestId,
          1,
          2,
        ),
      ),
    );
    return blocks;
  } finally {
    await ledger.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

function chatEvents(requestId: string): ChatEvent[] {
  return notifications.flatMap((entry) =>
    entry.name === 'chat' && entry.payload.requestId === requestId ? [entry.payload] : [],
  );
}

function ended(requestId: string): Promise<ChatEvent> {
  return waitFor(`the end of ${requestId}`, () =>
    chatEvents(requestId).find((event) => event.type === 'done' || event.type === 'failed'),
  );
}

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'og-ui-contract-'));
  // The node holds a genesis allocation, so its requests pass the ledger's admission like a funded user's.
  await mkdir(join(root, 'data'), { recursive: true, mode: 0o700 });
  const { privateKey } = await loadOrCreateNodeKey(locationsFor(join(root, 'data')).identityKey);
  payer = await generateKeyPair('Ed25519');
  const network = await initNetwork({
    outDir: join(root, 'net'),
    founders: 1,
    threshold: 1,
    genesis: [
      { account: peerIdFromPrivateKey(privateKey).toString(), amount: 10_000 },
      // Another account of the network, which pays this node in the balance test.
      { account: peerIdFromPrivateKey(payer).toString(), amount: 5_000 },
    ],
  });
  await mkdir(join(root, 'dashboard'));
  await writeFile(join(root, 'dashboard', 'index.html'), '<!doctype html><title>dashboard</title>');
  node = new OpenGatewayNode({
    dataDir: join(root, 'data'),
    networkConfigPath: network.configPath,
    listen: ['/ip4/127.0.0.1/tcp/0'],
    region: 'europe',
    serveTiers: ['model-a'],
    heartbeatIntervalMs: 300,
    routing: {
      engine: {
        kind: 'exo',
        simulated: true,
        exoPath: EXO_LAUNCHER,
        env: {
          EXO_DOUBLE_NODE: process.execPath,
          EXO_DOUBLE_TOKEN_RATE: '100',
          EXO_DOUBLE_LOAD_STEP_MS: '5',
        },
      },
    },
  });
  served = await serveNode(node, { apiPort: 0, shell: 'headless', dashboardDir: join(root, 'dashboard') });
  const key = (await readFile(node.locations.apiKey, 'utf8')).trim();
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  transport = createWebSocketTransport({
    url: `${served.api.url.replace('http', 'ws')}/api/ws`,
    apiKey: key,
    minRetryMs: 60_000,
    onStateChange: (state) => {
      if (state.state === 'open') opened();
    },
  });
  await open;
  client = createContractClient(transport);
  client.subscribe((notification) => notifications.push(notification));
}, 60_000);

afterAll(async () => {
  transport?.stop();
  await served?.stop();
  await rm(root, { recursive: true, force: true });
});

const readyCluster = async (): Promise<ClusterView> =>
  waitFor('a ready engine', async () =>
    (await client.call('getClusters')).find((cluster) => cluster.engine?.state === 'ready'),
  );

describe('the node’s ui contract over /api/ws', { timeout: 60_000 }, () => {
  it('shows the status, the region and how it was chosen, tiers with reasons, and its cluster', async () => {
    expect(await client.call('getStatus')).toMatchObject({ status: 'ready', clusters: 1 });
    expect(await client.call('getRegion')).toMatchObject({ region: 'europe', source: 'override' });
    const resources = await client.call('getResources');
    expect(resources.profile?.cpuCores).toBeGreaterThan(0);
    expect(resources.tiers.map((tier) => tier.tier)).toEqual(['model-a', 'model-b', 'model-c', 'model-d']);
    for (const tier of resources.tiers) expect(tier.qualified || tier.reasons.length > 0).toBe(true);
    const onboarding = await client.call('getOnboarding');
    expect(onboarding.every((step) => step.state === 'done')).toBe(true);

    const cluster = await readyCluster();
    expect(cluster).toMatchObject({
      id: 'europe/model-a',
      membership: 'joined',
      members: 1,
      readyMembers: 1,
      engine: { kind: 'simulator', state: 'ready' },
    });
    const members = await client.call('getClusterMembers', { clusterId: 'europe/model-a' });
    expect(members).toEqual([expect.objectContaining({ self: true, state: 'ready' })]);
    const log = await client.call('getEngineLogs', { clusterId: 'europe/model-a', lines: 5 });
    expect(log.lines.length).toBeGreaterThan(0);
    expect(log.lines.length).toBeLessThanOrEqual(5);
    // The engine becoming ready reached the dashboard as a notification, not only through a call.
    await waitFor('a clusters notification with the ready engine', () =>
      notifications.find(
        (entry) => entry.name === 'clusters' && entry.payload.some((view) => view.engine?.state === 'ready'),
      ),
    );
  });

  it('shows the ledger’s balance, exactly as the ledger has it', async () => {
    const ledger = node.ledger!;
    await waitFor('the account to open', () => (ledger.summary().opened ? true : undefined));
    const balance = await client.call('getBalance');
    const earnings = await client.call('getEarnings', { limit: 10 });
    // Exactly the ledger's numbers (micro-tokens, shown with the ledger's own formatter).
    const summary = ledger.summary();
    expect(summary.balance).toBe('10,000');
    expect(formatTokens(BigInt(balance!.available))).toBe(summary.available);
    expect(formatTokens(BigInt(balance!.spent))).toBe(summary.spent);
    expect(earnings!.series.length).toBeGreaterThan(0);
    // Pushed as well, without a call, when the balance changes: another account pays this node, which
    // claims the payment; the dashboard hears the new balance.
    const payments = await payerChain(ledgerParamsFromConfig(node.networkConfig!), ledger.account);
    expect(ledger.receive(payments).every((verdict) => verdict.status === 'valid')).toBe(true);
    await waitFor('a balance notification with the payment', () =>
      notifications.find(
        (entry) => entry.name === 'balance' && entry.payload.available === 10_000_000_000 + 3_000,
      ),
    );
  });

  it('streams a chat reply from the simulated engine, priced from the tier, free from its own worker', async () => {
    await readyCluster();
    const models = await client.call('getChatModels');
    const modelA = models.find((model) => model.tier === 'model-a')!;
    expect(modelA.available).toBe(true);
    const modelD = models.find((model) => model.tier === 'model-d')!;
    expect(modelD.available).toBe(false);
    expect(modelD.unavailableReason).toMatch(/No computer in Europe serves Model D/);

    const messages = [{ role: 'user' as const, content: 'Hello network' }];
    const estimate = await client.call('estimateChat', { model: modelA.id, messages, maxTokens: 16 });
    // The prompt is the network's count of it: the most a worker may bill (security finding 16).
    expect(estimate.promptTokens).toBe(promptTokenCount({ messages }));
    // Micro-tokens: the price is whole tokens per 1,000 work units, so 1,000 µT × price per token.
    expect(estimate.maxCost).toBe(modelA.pricePer1k * 1000 * (estimate.promptTokens + 16));

    const balanceBefore = (await client.call('getBalance'))?.available;
    expect(balanceBefore).toBeGreaterThan(0);
    await client.call('sendChat', { requestId: 'chat-00000001', model: modelA.id, messages, maxTokens: 16 });
    const end = await ended('chat-00000001');
    const events = chatEvents('chat-00000001');
    expect(events[0]).toMatchObject({ type: 'started' });
    const text = events.flatMap((event) => (event.type === 'delta' ? [event.text] : [])).join('');
    expect(text.length).toBeGreaterThan(0);
    expect(end.type).toBe('done');
    if (end.type !== 'done') return;
    expect(end.completionTokens).toBeGreaterThan(0);
    // Its own worker answered: the routing layer does not pay itself, so the reply is free and says so.
    expect(end.cost).toBe(0);
    expect((await client.call('getBalance'))?.available).toBe(balanceBefore);
  });

  it('stops a reply on cancelChat, and says which reason a failed request had', async () => {
    await readyCluster();
    const model = (await client.call('getChatModels')).find((entry) => entry.tier === 'model-a')!.id;
    const messages = [{ role: 'user' as const, content: 'Tell me a long story' }];
    await client.call('sendChat', { requestId: 'chat-00000002', model, messages, maxTokens: 20_000 });
    await waitFor('the first words', () =>
      chatEvents('chat-00000002').find((event) => event.type === 'delta'),
    );
    expect(await client.call('cancelChat', { requestId: 'chat-00000002' })).toEqual({ cancelled: true });
    expect(await ended('chat-00000002')).toMatchObject({ type: 'failed', reason: 'cancelled', cost: 0 });
    expect(await client.call('cancelChat', { requestId: 'chat-00000002' })).toEqual({ cancelled: false });

    const nobody = (await client.call('getChatModels')).find((entry) => entry.tier === 'model-c')!.id;
    await client.call('sendChat', { requestId: 'chat-00000003', model: nobody, messages, maxTokens: 8 });
    expect(await ended('chat-00000003')).toMatchObject({ type: 'failed', reason: 'no-capacity' });
    await expect(
      client.call('sendChat', { requestId: 'chat-00000004', model: 'no-such-model', messages, maxTokens: 8 }),
    ).rejects.toMatchObject({ kind: 'expected' });
  });

  it('reports the queue position while every slot of the cluster is busy', async () => {
    await readyCluster();
    const model = (await client.call('getChatModels')).find((entry) => entry.tier === 'model-a')!.id;
    const messages = [{ role: 'user' as const, content: 'Keep going' }];
    // The node serves 2 requests at once (its default capacity): the third waits in line.
    const ids = ['queue-00000001', 'queue-00000002', 'queue-00000003'];
    for (const requestId of ids)
      await client.call('sendChat', { requestId, model, messages, maxTokens: 20_000 });
    expect(
      await waitFor('a queue position', () => chatEvents(ids[2]!).find((event) => event.type === 'queued')),
    ).toEqual({ type: 'queued', requestId: ids[2], position: 1 });
    for (const requestId of ids) await client.call('cancelChat', { requestId });
    for (const requestId of ids) expect(await ended(requestId)).toMatchObject({ reason: 'cancelled' });
  });

  it('keeps the caps in the data folder, and refuses idle-only mode on a headless node', async () => {
    const settings = await client.call('updateSettings', { maxConcurrentRequests: 4, gpuMemoryShare: 0.5 });
    expect(settings).toMatchObject({ maxConcurrentRequests: 4, gpuMemoryShare: 0.5, startAtLogin: null });
    expect(await readNodeSettings(node.locations.settings)).toEqual({
      maxConcurrentRequests: 4,
      gpuMemoryShare: 0.5,
      regionOverride: null,
      tierEngines: {},
      engineServer: null,
    });
    expect((await stat(node.locations.settings)).mode & 0o777).toBe(0o600);
    // The cap applies at once, without a restart.
    expect(node.servicesForTests().routing!.worker.capacity).toBe(4);
    const refused = await client.call('updateSettings', { idleOnly: true }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ContractCallError);
    expect((refused as ContractCallError).kind).toBe('expected');
    expect(await client.call('getUpdateState')).toMatchObject({ state: 'unsupported' });
    expect(await client.call('getAppInfo')).toMatchObject({
      shell: 'headless',
      localApi: { url: served.api.url },
    });
  });

  it('says which engine serves each tier and why, and refuses an engine this computer does not have', async () => {
    const engines = await client.call('getEngines');
    expect(engines.tiers.find((tier) => tier.tier === 'model-a')).toEqual({
      tier: 'model-a',
      label: expect.any(String) as string,
      choice: 'auto',
      kind: 'simulator',
      reason: 'EXO: simulated engine (developer network: not real inference)',
      serving: true,
      locked: false,
    });
    // A server first needs its address: the refusal reaches the dashboard as words for the contributor.
    const refused = await client
      .call('setTierEngine', { tier: 'model-a', choice: 'openai' })
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ContractCallError);
    expect((refused as ContractCallError).kind).toBe('expected');
    expect((refused as ContractCallError).message).toContain('OpenAI-compatible server');
  });

  it('pauses (the clusters are left, members see it paused) and resumes', async () => {
    await readyCluster();
    expect(await client.call('pause', {})).toMatchObject({ status: 'paused', reason: 'user' });
    await waitFor('a paused status notification', () =>
      notifications.find((entry) => entry.name === 'status' && entry.payload.status === 'paused'),
    );
    const [cluster] = await client.call('getClusters');
    expect(cluster).toMatchObject({ membership: 'left', engine: { state: 'stopped' } });
    expect(await client.call('getClusterMembers', { clusterId: 'europe/model-a' })).toEqual([
      expect.objectContaining({ self: true, state: 'paused' }),
    ]);
    expect(await client.call('resume')).toMatchObject({ status: 'ready' });
    expect((await readyCluster()).membership).toBe('joined');
  });

  it('moves to another region on setRegion and remembers the choice', async () => {
    expect(await client.call('setRegion', { region: 'asia' })).toMatchObject({
      region: 'asia',
      source: 'override',
    });
    await waitFor('the asia cluster', async () =>
      (await client.call('getClusters')).find((cluster) => cluster.id === 'asia/model-a'),
    );
    expect((await readNodeSettings(node.locations.settings))?.regionOverride).toBe('asia');
    await waitFor('a region notification', () =>
      notifications.find((entry) => entry.name === 'region' && entry.payload.region === 'asia'),
    );
  });
});

describe('the dashboard at / of the local API', () => {
  it('serves index.html without a key, with the dashboard CSP; the API still needs its key', async () => {
    const page = await fetch(`${served.api.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(await page.text()).toContain('<title>dashboard</title>');
    expect((await fetch(`${served.api.url}/api/status`)).status).toBe(401);
    expect((await fetch(`${served.api.url}/v1/models`)).status).toBe(401);
  });

  it('refuses paths that leave the build folder', async () => {
    await writeFile(join(root, 'secret.txt'), 'not for browsers');
    await writeFile(join(root, 'dashboard', '.hidden'), 'not for browsers');
    for (const path of [
      '/..%2fsecret.txt',
      '/%2e%2e/secret.txt',
      '/..%5csecret.txt',
      '/.hidden',
      '/assets/',
    ]) {
      const reply = await fetch(`${served.api.url}${path}`);
      expect(reply.status, path).toBe(404);
      expect(await reply.text(), path).not.toContain('not for browsers');
    }
  });
});
