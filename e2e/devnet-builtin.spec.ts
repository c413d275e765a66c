// The dashboard of a devnet on the built-in engine: its worker fetched the generated test model from the
// devnet's origin (the real download path) and runs it in llama.cpp; the Overview says which engine and model
// serve, and a chat is answered by llama.cpp (random weights: the words mean nothing, but they are real
// inference).
import { expect, test, type Page, type TestInfo } from '@playwright/test';
import { processesUnder, startDevnet, type Devnet, type DevnetNode } from './devnet-network.ts';

test.describe.configure({ mode: 'serial' });
test.setTimeout(150_000);

let devnet: Devnet;
let worker: DevnetNode;

test.beforeAll(async () => {
  devnet = await startDevnet({ nodes: 1, regions: ['asia'], engine: 'builtin' });
  worker = devnet.workers[0]!;
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

test('Overview shows the downloaded model ready on the built-in engine, and llama.cpp answers a chat', async ({
  page,
}, testInfo) => {
  await page.goto(worker.dashboardUrl);
  await expect(page.getByTestId('node-status')).toHaveText('Contributing');
  await expect(page.getByTestId('model-model-a')).toContainText('og-test-tiny ready');
  await expect(page.getByTestId('cluster-asia/model-a')).toContainText('ready · built-in llama.cpp');
  await expect(page.getByRole('list', { name: 'Setup steps' })).toContainText('Built-in llama.cpp');
  // Model B is not served here, so its (missing) model is not shown as pending.
  await expect(page.getByTestId('model-model-b')).toHaveCount(0);
  await screenshot(page, testInfo, 'devnet-builtin-overview');

  await page.getByRole('button', { name: 'Chat' }).click();
  await page.getByLabel('Your message').fill('Hello llama.cpp');
  await page.getByRole('button', { name: 'Send' }).click();
  const conversation = page.getByRole('list', { name: 'Conversation' });
  await expect(conversation.getByText(/Cost: [\d,.]+ tokens?/)).toBeVisible({ timeout: 30_000 });
  await expect(conversation.getByRole('listitem').last()).toContainText(/\S/);
  await screenshot(page, testInfo, 'devnet-builtin-chat');
});
