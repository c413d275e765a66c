// The built dashboard in Chromium against the e2e contract FIXTURE (e2e/fixture), over the real /api/ws
// transport. The devnet-backed version of these checks comes with `npm run devnet` (DESIGN.md §11).
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import {
  createInMemoryNode,
  FIXTURE_REPLY,
  type InMemoryNode,
  type InMemoryNodeOptions,
} from './fixture/in-memory-node.ts';
import { startFixtureServer, type FixtureServer } from './fixture/fixture-server.ts';
import { formatTokens } from '../src-shared/ledger/token-amount.ts';

/** A contract amount (µT) as every page writes it: the ledger's own text plus "tokens". */
const tokens = (micro: number): string => `${formatTokens(BigInt(micro))} tokens`;

const KEY = 'e2e-fixture-key';
let node: InMemoryNode;
let server: FixtureServer;

async function startNode(options: InMemoryNodeOptions = {}): Promise<void> {
  node = createInMemoryNode({ chunkDelayMs: 15, ...options });
  server = await startFixtureServer({ handlers: node.handlers, notifications: node.hub, apiKey: KEY });
}

async function openDashboard(page: Page): Promise<void> {
  await page.goto(`/#key=${KEY}&ws=${encodeURIComponent(server.wsUrl)}`);
  await expect(page.getByTestId('node-status')).not.toHaveText(/Connecting/);
}

async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

test.afterEach(async () => {
  node?.stop();
  await server?.close();
});

test('without a key the dashboard asks for one and says it is not connected', async ({ page }, testInfo) => {
  await startNode();
  await page.goto('/');
  await expect(page.getByRole('heading', { name: 'OpenGateway' })).toBeVisible();
  await expect(page.getByRole('status')).toContainText('Not connected');
  await expect(page.getByLabel('API key')).toBeVisible();
  await screenshot(page, testInfo, 'key-prompt');
});

test('Overview shows the status, region and how it was found, every tier with reasons, and clusters', async ({
  page,
}, testInfo) => {
  await startNode();
  await openDashboard(page);
  await expect(page).toHaveURL(/\/$/); // the key left the address bar
  await expect(page.getByTestId('node-status')).toHaveText('Contributing');
  await expect(page.getByTestId('region')).toHaveText('Asia');
  await expect(
    page.getByText('Other computers on the network saw your internet address there.'),
  ).toBeVisible();
  await expect(page.getByTestId('tier-model-c')).toContainText('This computer qualifies');
  await expect(page.getByTestId('tier-model-d')).toContainText('needs 48 GB GPU memory, has 24 GB');
  await expect(page.getByTestId('cluster-asia/model-a')).toContainText('Joined');
  await expect(page.getByTestId('cluster-asia/model-a')).toContainText('4 (3 ready)');
  await expect(page.getByRole('list', { name: 'Setup steps' }).getByRole('listitem')).toHaveCount(7);
  await screenshot(page, testInfo, 'overview');

  await page.getByTestId('cluster-asia/model-a').getByRole('button', { name: 'Details' }).click();
  await expect(page.getByRole('list', { name: 'Cluster members' }).getByRole('listitem')).toHaveCount(4);
  await expect(page.getByRole('list', { name: 'Cluster members' })).toContainText('This computer');
  await expect(page.getByText('fixture engine: ready')).toBeVisible();
  await page.getByRole('button', { name: 'Close details' }).click();

  await page.getByLabel('Change region').selectOption('europe');
  await page.getByRole('button', { name: 'Save region' }).click();
  await expect(page.getByTestId('region')).toHaveText('Europe');
  await expect(page.getByText('You chose it.')).toBeVisible();
  await expect(page.getByTestId('cluster-europe/model-a')).toBeVisible();
  expect(node.state.region.region).toBe('europe');
});

test("Overview shows each tier's model: a download with its bar, size and time left; ready; a failure and why", async ({
  page,
}, testInfo) => {
  await startNode();
  await openDashboard(page);
  const downloading = page.getByTestId('model-model-b');
  await expect(downloading).toContainText('Downloading llama-3.1-8b-instruct-q8_0');
  await expect(downloading).toContainText('37% · 3.2 GB of 8.5 GB · 23 MB/s · about 4 min left');
  await expect(page.getByRole('progressbar', { name: 'Downloading the model of model-b' })).toBeVisible();
  await expect(page.getByTestId('model-model-a')).toContainText(
    'llama-3.1-8b-instruct-q4_k_m ready (4.9 GB)',
  );
  await expect(page.getByTestId('model-model-c')).toContainText(
    'Not enough disk space: not enough disk space',
  );
  await expect(page.getByTestId('model-model-d')).toHaveCount(0);
  await page.getByTestId('tier-model-b').scrollIntoViewIfNeeded();
  await screenshot(page, testInfo, 'model-download-in-progress');
});

test('a chat message streams a reply and the balance shown drops by its cost', async ({ page }, testInfo) => {
  await startNode();
  await openDashboard(page);
  await page.getByRole('button', { name: 'Chat' }).click();
  await expect(page.getByLabel('Model')).toHaveValue('model-a-simulated');
  await expect(page.getByRole('option', { name: /Model D/ })).toBeDisabled();
  await expect(page.getByText('No computer in Asia serves Model D right now.')).toBeVisible();

  const before = node.state.balance.available;
  await expect(page.getByTestId('header-balance')).toHaveText(tokens(before));
  await page.getByLabel('Your message').fill('What is OpenGateway?');
  await expect(page.getByTestId('cost-estimate')).toContainText('This message costs about');
  await expect(page.getByTestId('cost-estimate')).toContainText(`of your ${tokens(before)}`);

  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByTestId('streaming-reply')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Stop' })).toBeVisible();
  await expect(page.getByRole('list', { name: 'Conversation' })).toContainText(FIXTURE_REPLY);
  await expect(page.getByRole('button', { name: 'Send' })).toBeVisible();

  const after = node.state.balance.available;
  expect(after).toBeLessThan(before);
  // A chat costs a fraction of a token: shown exactly, so the drop and the cost are the same number.
  await expect(page.getByText(`Cost: ${tokens(before - after)}`)).toBeVisible();
  await expect(page.getByTestId('header-balance')).toHaveText(tokens(after));
  await screenshot(page, testInfo, 'chat');

  await page.getByRole('button', { name: 'Earnings' }).click();
  await expect(page.getByTestId('balance')).toHaveText(tokens(after));
  const newest = page.getByRole('table', { name: 'Recent requests' }).getByRole('row').nth(1);
  await expect(newest).toContainText('Your chat');
  await expect(newest).toContainText(`−${formatTokens(BigInt(before - after))}`);
});

test('Stop ends a streaming reply and keeps what arrived', async ({ page }) => {
  await startNode({ chunkDelayMs: 200 });
  await openDashboard(page);
  await page.getByRole('button', { name: 'Chat' }).click();
  await page.getByLabel('Your message').fill('Tell me a long story');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByTestId('streaming-reply')).toContainText('This reply');
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect(page.getByRole('alert')).toContainText('You stopped this reply.');
  await expect(page.getByTestId('streaming-reply')).toHaveCount(0);
});

test('chat explains a low balance before sending', async ({ page }, testInfo) => {
  await startNode({ balance: 640 });
  await openDashboard(page);
  await page.getByRole('button', { name: 'Chat' }).click();
  await page.getByLabel('Your message').fill('Hello');
  await expect(page.getByRole('alert')).toContainText('Chatting needs at least 1,000 tokens available');
  await expect(page.getByRole('button', { name: 'Send' })).toBeDisabled();
  await screenshot(page, testInfo, 'chat-low-balance');
});

test('chat shows the queue position while every worker is busy', async ({ page }) => {
  await startNode({ queuePosition: 2, queueStepMs: 1000 });
  await openDashboard(page);
  await page.getByRole('button', { name: 'Chat' }).click();
  await page.getByLabel('Your message').fill('Hello');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByText('You are number 2 in line.')).toBeVisible();
  await expect(page.getByText('You are number 1 in line.')).toBeVisible();
  await expect(page.getByRole('list', { name: 'Conversation' })).toContainText(FIXTURE_REPLY);
});

test('Pause shows paused and the node leaves its clusters; Resume rejoins', async ({ page }, testInfo) => {
  await startNode();
  await openDashboard(page);
  await page.getByRole('button', { name: 'Pause contributing' }).click();
  await expect(page.getByTestId('node-status')).toHaveText('Paused');
  await expect(page.getByTestId('cluster-asia/model-a')).toContainText('Left (paused)');
  expect(node.state.status.status).toBe('paused');
  expect(node.state.clusters.every((cluster) => cluster.membership === 'left')).toBe(true);
  await screenshot(page, testInfo, 'overview-paused');

  await page.getByRole('button', { name: 'Resume contributing' }).click();
  await expect(page.getByTestId('node-status')).toHaveText('Contributing');
  await expect(page.getByTestId('cluster-asia/model-a')).toContainText('Joined');
});

test('Earnings shows the balance, earned and spent, a chart and recent requests', async ({
  page,
}, testInfo) => {
  await startNode();
  await openDashboard(page);
  await page.getByRole('button', { name: 'Earnings' }).click();
  const balance = node.state.balance;
  await expect(page.getByTestId('balance')).toHaveText(tokens(balance.available));
  await expect(page.getByTestId('earned')).toHaveText(tokens(balance.earned));
  await expect(page.getByTestId('spent')).toHaveText(tokens(balance.spent));
  expect(balance.earned).toBeGreaterThan(0);
  expect(balance.spent).toBeGreaterThan(0);
  await expect(page.getByRole('img', { name: /Balance from 25,000 tokens to / })).toBeVisible();
  const table = page.getByRole('table', { name: 'Recent requests' });
  // The fixture's ledger holds three answered requests and two own chats, newest first.
  await expect(table.getByRole('row')).toHaveCount(6);
  await expect(table.getByRole('row').nth(1)).toContainText('Your chat');
  await expect(table.getByRole('row').nth(1)).toContainText('Model A (model-a-simulated)');
  await expect(table.getByRole('row').nth(2)).toContainText('Answered a request');
  await expect(table.getByRole('row').nth(2)).toContainText('Model C (model-c-simulated)');
  await expect(table.getByRole('row').nth(2)).toContainText(/12D3…\w{4}/);
  await screenshot(page, testInfo, 'earnings');
});

test('Settings shows the controls, the local API, the data folder and the DB-IP credit', async ({
  page,
}, testInfo) => {
  await startNode();
  await openDashboard(page);
  await page.getByRole('button', { name: 'Settings' }).click();
  await expect(page.getByTestId('api-url')).toHaveText('http://127.0.0.1:4174/v1');
  await expect(page.getByTestId('data-folder')).toHaveText('/tmp/opengateway-fixture');
  await expect(page.getByText('IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0')).toBeVisible();
  await expect(page.getByText('Start OpenGateway when I log in')).toHaveCount(0); // headless: no such thing
  await expect(page.getByTestId('update-state')).toContainText('updated by its operator');

  await page.getByLabel('Only when I am not using this computer').check();
  await expect(page.getByLabel('Start after this many minutes without use')).toBeEnabled();
  await page.getByLabel('Requests answered at the same time').selectOption('4');
  await expect(page.getByText('Takes effect right away.')).toBeVisible();
  await expect(page.getByTestId('gpu-share-hint')).toContainText('next time OpenGateway starts');
  const upload = page.getByLabel('Upload speed for sharing models');
  await expect(upload).toHaveValue(String(5 * 1024 * 1024)); // the modest default
  await upload.selectOption({ label: '10 MB/s' });
  await expect(page.getByTestId('upload-cap-hint')).toContainText('only while you contribute');
  const slider = page.getByLabel(/Graphics memory OpenGateway may use/);
  await slider.focus();
  await page.keyboard.press('ArrowLeft');
  await expect(page.getByText('Graphics memory OpenGateway may use: 75%')).toBeVisible();
  await expect
    .poll(() => node.state.settings)
    .toMatchObject({
      idleOnly: true,
      maxConcurrentRequests: 4,
      gpuMemoryShare: 0.75,
      uploadBytesPerSecond: 10 * 1024 * 1024,
    });
  await screenshot(page, testInfo, 'settings');
});

test('says so when the node goes away, instead of showing stale numbers as live', async ({ page }) => {
  await startNode();
  await openDashboard(page);
  await server.close();
  await expect(page.getByRole('status')).toContainText('Not connected to your OpenGateway node');
});

test('a reply cut off by a lost connection says so and keeps what arrived', async ({ page }) => {
  await startNode({ chunkDelayMs: 200 });
  await openDashboard(page);
  await page.getByRole('button', { name: 'Chat' }).click();
  await page.getByLabel('Your message').fill('Hello');
  await page.getByRole('button', { name: 'Send' }).click();
  await expect(page.getByTestId('streaming-reply')).toContainText('This reply');
  await server.close();
  await expect(page.getByRole('alert')).toContainText(
    'The connection to the node was lost, so the reply stopped.',
  );
  await expect(page.getByRole('list', { name: 'Conversation' })).toContainText('This reply');
  await expect(page.getByRole('button', { name: 'Send' })).toBeDisabled();
});
