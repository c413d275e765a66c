// The built dashboard, served by a real node of a real local network (DESIGN.md §11): `npm run devnet` with
// two workers in Asia on the SIMULATED engine and a bootstrap node, each its own process. Chromium opens a
// worker's dashboardUrl (its local API serves the page at `/` and the contract on /api/ws).
// Not checked yet: the balance dropping by a chat's cost — the ledger is not wired into the node.
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { processesUnder, startDevnet, type Devnet, type DevnetNode } from './devnet-network.ts';

test.describe.configure({ mode: 'serial' });
// Starting a network of processes on a small shared machine takes a while; each step below is quick.
test.setTimeout(120_000);

let devnet: Devnet;
let worker: DevnetNode;
let other: DevnetNode;

interface StatusReport {
  readonly clusters: readonly {
    readonly key: string;
    readonly members: readonly { readonly peerId: string; readonly status: string }[];
  }[];
}

test.beforeAll(async () => {
  devnet = await startDevnet({ nodes: 2, regions: ['asia'], tokenRate: 250 });
  [worker, other] = devnet.workers as [DevnetNode, DevnetNode];
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
  await expect(page.getByTestId('balance-unavailable')).toContainText('Balance not available yet');
  await expect(page.getByTestId('header-balance')).toHaveText('Balance not available yet');
  await expect(page.getByText('Requests are not recorded yet.')).toBeVisible();
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
  await expect(conversation.getByText(/Cost: [\d,]+ tokens?/)).toBeVisible();
  await expect(page.getByTestId('streaming-reply')).toHaveCount(0);
  const reply = conversation.getByRole('listitem').last();
  await expect(reply).toContainText(/\w+ \w+/);
  await screenshot(page, testInfo, 'devnet-chat');
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
