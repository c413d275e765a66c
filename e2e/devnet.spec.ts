// The built dashboard, served by a real node of a real local network (DESIGN.md §11): `npm run devnet` with
// two workers in Asia on the SIMULATED engine and a bootstrap node, each its own process, every one with a
// genesis allocation. Chromium opens a node's dashboardUrl (its local API serves the page at `/` and the
// contract on /api/ws); what the pages show is checked against the node's own GET /api/ledger.
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { processesUnder, startDevnet, type Devnet, type DevnetNode } from './devnet-network.ts';

/** GET /api/ledger: amounts are the ledger's text ("9,999.962"). */
interface LedgerReport {
  readonly account: { readonly opened: boolean; readonly available: string; readonly spent: string };
  readonly history: readonly { readonly kind: string; readonly amount: string }[];
}

/** The ledger's text of an amount as micro-tokens, exactly (no floating point). */
function micro(text: string): bigint {
  const [whole = '0', fraction = ''] = text.replaceAll(',', '').replace('-', '').split('.');
  const value = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
  return text.startsWith('-') ? -value : value;
}

test.describe.configure({ mode: 'serial' });
// Starting a network of processes on a small shared machine takes a while; each step below is quick.
test.setTimeout(120_000);

let devnet: Devnet;
let worker: DevnetNode;
let other: DevnetNode;
/** Serves no tier, so every reply it asks for comes from a worker and is paid. */
let requester: DevnetNode;

interface StatusReport {
  readonly clusters: readonly {
    readonly key: string;
    readonly members: readonly { readonly peerId: string; readonly status: string }[];
  }[];
}

test.beforeAll(async () => {
  devnet = await startDevnet({ nodes: 2, regions: ['asia'], tokenRate: 250 });
  [worker, other] = devnet.workers as [DevnetNode, DevnetNode];
  requester = devnet.nodes.find((node) => node.role === 'bootstrap')!;
});

test.afterAll(async () => {
  if (!devnet) return;
  await devnet.stop();
  expect(await processesUnder(devnet.root)).toEqual([]);
});

async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

async function openDashboard(page: Page): Promise<void> {
  await page.goto(worker.dashboardUrl);
  await expect(page.getByTestId('node-status')).toHaveText('Contributing');
}

/** The node's account as its own ledger reports it, once the account is open. */
async function ledgerOf(node: DevnetNode): Promise<LedgerReport> {
  await expect
    .poll(async () => (await devnet.api<LedgerReport>(node, '/api/ledger')).account.opened)
    .toBe(true);
  return devnet.api<LedgerReport>(node, '/api/ledger');
}

async function statusOf(node: DevnetNode, peerId: string): Promise<string | undefined> {
  const report = await devnet.api<StatusReport>(node, '/api/status');
  return report.clusters
    .find((cluster) => cluster.key === 'asia/model-a')
    ?.members.find((member) => member.peerId === peerId)?.status;
}

test('Overview shows the region, every tier with its reasons, and the cluster with its members', async ({
  page,
}, testInfo) => {
  await openDashboard(page);
  await expect(page).toHaveURL(/\/$/); // the key left the address bar
  await expect(page.getByTestId('region')).toHaveText('Asia');
  await expect(page.getByText('You chose it.')).toBeVisible();
  const tiers = page.getByRole('list', { name: 'Model tiers' }).getByRole('listitem');
  await expect(tiers).toHaveCount(4);
  for (const tier of await tiers.all())
    await expect(tier).toContainText(/This computer qualifies|Not this computer: needs/);
  const cluster = page.getByTestId('cluster-asia/model-a');
  await expect(cluster).toContainText('Joined');
  await expect(cluster).toContainText('2 (2 ready)');
  await expect(cluster).toContainText(/simulat/i);
  await expect(page.getByRole('list', { name: 'Setup steps' }).getByRole('listitem')).toHaveCount(7);
  await screenshot(page, testInfo, 'devnet-overview');

  await cluster.getByRole('button', { name: 'Details' }).click();
  const members = page.getByRole('list', { name: 'Cluster members' }).getByRole('listitem');
  await expect(members).toHaveCount(2);
  await expect(members.filter({ hasText: 'This computer' })).toContainText('ready');
  await screenshot(page, testInfo, 'devnet-cluster-details');

  await page.getByRole('button', { name: 'Earnings' }).click();
  const { account } = await ledgerOf(worker);
  await expect(page.getByTestId('balance')).toHaveText(`${account.available} tokens`);
  await expect(page.getByTestId('header-balance')).toHaveText(`${account.available} tokens`);
  await expect(page.getByRole('heading', { name: 'Balance over time' })).toBeVisible();
  await screenshot(page, testInfo, 'devnet-earnings');

  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByRole('heading', { name: 'Settings' })).toBeVisible();
  await screenshot(page, testInfo, 'devnet-settings');
});

test('a chat message streams a reply from the simulated engine, with its cost', async ({
  page,
}, testInfo) => {
  await openDashboard(page);
  await page.getByRole('button', { name: 'Chat' }).click();
  await expect(page.getByRole('option', { name: /Model D/ })).toBeDisabled();
  await expect(page.getByText('No computer in Asia serves Model D right now.')).toBeVisible();
  await page.getByLabel('Your message').fill('Hello devnet, what do you route?');
  await expect(page.getByTestId('cost-estimate')).toContainText('This message costs about');

  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByTestId('streaming-reply')).toBeVisible();
  const conversation = page.getByRole('list', { name: 'Conversation' });
  await expect(conversation.getByText(/Cost: [\d,.]+ tokens?/)).toBeVisible();
  await expect(page.getByTestId('streaming-reply')).toHaveCount(0);
  const reply = conversation.getByRole('listitem').last();
  await expect(reply).toContainText(/\w+ \w+/);
  await screenshot(page, testInfo, 'devnet-chat');
});

test('a chat message streams a reply and the balance shown drops by the cost', async ({ page }, testInfo) => {
  const before = (await ledgerOf(requester)).account.available;
  await page.goto(requester.dashboardUrl);
  await expect(page.getByTestId('header-balance')).toHaveText(`${before} tokens`);
  await page.getByRole('button', { name: 'Chat' }).click();
  await page.getByLabel('Your message').fill('Hello devnet, what does this cost?');
  await expect(page.getByTestId('cost-estimate')).toContainText(`of your ${before} tokens`);

  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByTestId('streaming-reply')).toBeVisible();
  const costLine = page.getByRole('list', { name: 'Conversation' }).getByText(/^Cost: /);
  await expect(costLine).toBeVisible();
  const cost = micro(/^Cost: ([\d,.]+) tokens?$/.exec((await costLine.textContent()) ?? '')?.[1] ?? '0');
  expect(cost).toBeGreaterThan(0n);

  // The balance shown follows the ledger: it drops by exactly the cost, to what GET /api/ledger says.
  await expect(page.getByTestId('header-balance')).not.toHaveText(`${before} tokens`);
  const after = await ledgerOf(requester);
  expect(micro(before) - micro(after.account.available)).toBe(cost);
  const settle = after.history.find((entry) => entry.kind === 'SETTLE');
  expect(settle && -micro(settle.amount)).toBe(cost);
  await expect(page.getByTestId('header-balance')).toHaveText(`${after.account.available} tokens`);
  await screenshot(page, testInfo, 'devnet-chat-paid');

  await page.getByRole('button', { name: 'Earnings' }).click();
  await expect(page.getByTestId('balance')).toHaveText(`${after.account.available} tokens`);
  await expect(page.getByTestId('spent')).toHaveText(`${after.account.spent} tokens`);
  const newest = page.getByRole('table', { name: 'Recent requests' }).getByRole('row').nth(1);
  await expect(newest).toContainText('Your chat');
  await expect(newest).toContainText(`−${settle?.amount.replace('-', '')}`);
  await screenshot(page, testInfo, 'devnet-earnings-after-chat');
});

test('Pause shows paused, the node leaves its cluster, and another node sees it paused', async ({
  page,
}, testInfo) => {
  await openDashboard(page);
  expect(await statusOf(other, worker.peerId)).toBe('up');
  await page.getByRole('button', { name: 'Pause contributing' }).click();
  await expect(page.getByTestId('node-status')).toHaveText('Paused');
  await expect(page.getByTestId('cluster-asia/model-a')).toContainText('Left (paused)');
  await expect.poll(() => statusOf(other, worker.peerId)).toBe('paused');
  await screenshot(page, testInfo, 'devnet-paused');

  await page.getByRole('button', { name: 'Resume contributing' }).click();
  await expect(page.getByTestId('node-status')).toHaveText('Contributing');
  await expect.poll(() => statusOf(other, worker.peerId)).toBe('up');
});
