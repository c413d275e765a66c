// The first run in Chromium against a REAL node started the way a user starts one: `npm start` on a machine
// without a display or Electron binary (ours), in local-only mode, on the default network. A screenshot of
// each step; declining consent leaves the node paused (it serves nobody), also after a restart.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page, type TestInfo } from '@playwright/test';

const START = fileURLToPath(new URL('../scripts/start.ts', import.meta.url));

interface StartedNode {
  readonly link: string;
  readonly child: ChildProcess;
  output(): string;
  stop(): Promise<number | null>;
}

/** `npm start` as a child process; resolves with its printed dashboard link. */
async function npmStart(dataDir: string): Promise<StartedNode> {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENGATEWAY_LOCAL_ONLY: '1' };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  const child = spawn(process.execPath, [START, '--data-dir', dataDir], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const link = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const found = /Dashboard: (http:\/\/127\.0\.0\.1:\d+\/#key=[0-9a-f]+)/.exec(output)?.[1];
      // The link, once onboarding has finished (the status line follows the last step).
      if (found && /status: (looking-for-peers|paused)/.test(output)) {
        clearInterval(timer);
        resolve(found);
      }
    }, 100);
    void exited.then((code) => {
      clearInterval(timer);
      reject(new Error(`npm start exited (${code}):\n${output}`));
    });
  });
  return {
    link,
    child,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT');
      return exited;
    },
  };
}

async function apiStatus(link: string): Promise<{ state: { status: string; reason?: string } }> {
  const url = new URL(link);
  const response = await fetch(new URL('/api/status', url), {
    headers: { authorization: `Bearer ${url.hash.slice('#key='.length)}` },
  });
  return (await response.json()) as { state: { status: string; reason?: string } };
}

async function screenshot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/** Console errors and failed requests (a missing favicon included) fail the test. */
function watchForErrors(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} ${response.url()}`);
  });
  return problems;
}

test.describe.configure({ mode: 'serial' });
test.setTimeout(180_000);

let root: string;
let node: StartedNode | null = null;

test.beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'og-e2e-first-run-'));
});

test.afterEach(async () => {
  await node?.stop();
  node = null;
  await rm(root, { recursive: true, force: true });
});

test('welcome → consent → setup steps live → region chosen → Overview "Looking for peers"', async ({
  page,
}, testInfo) => {
  node = await npmStart(join(root, 'data'));
  const problems = watchForErrors(page);
  await page.goto(node.link);

  await expect(page.getByRole('heading', { name: 'Welcome to OpenGateway' })).toBeVisible();
  await expect(page.getByTestId('uses-compute')).toContainText('at most 2 requests at a time');
  await expect(page.getByTestId('uses-disk')).toContainText('no model is downloaded');
  await expect(page.getByTestId('uses-network')).toContainText('opengateway-main network');
  // A headless node starts with the system, not at a login: the question is not asked.
  await expect(page.getByLabel('Start OpenGateway when I log in')).toHaveCount(0);
  await screenshot(page, testInfo, '1-welcome');

  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByRole('heading', { name: 'Setting up this computer' })).toBeVisible();
  for (const id of ['identity', 'profile', 'geo', 'qualify', 'join', 'engines', 'heartbeat'])
    await expect(page.getByTestId(`setup-step-${id}`)).toContainText('done');
  await expect(page.getByTestId('setup-step-identity')).toContainText('This computer is');
  await expect(page.getByTestId('setup-peers')).toContainText('Looking for peers');
  // Two cores qualify for no tier: the download step says there is nothing to fetch.
  await expect(page.getByTestId('setup-models')).toContainText('nothing to download');
  // Our machines run on UTC and reach no peer: the region is unknown, so the step offers the choice.
  await expect(page.getByTestId('setup-region')).toHaveText('not known yet');
  await screenshot(page, testInfo, '2-setup-steps');

  await page.getByLabel('Choose your region').selectOption('europe');
  await page.getByRole('button', { name: 'Use this region' }).click();
  await expect(page.getByTestId('setup-region')).toHaveText('Europe');
  await screenshot(page, testInfo, '3-region-chosen');

  await page.getByRole('button', { name: 'Go to the Overview' }).click();
  await expect(page.getByTestId('node-status')).toHaveText('Looking for peers');
  await expect(page.getByText(/not looked up \(local-only mode/)).toBeVisible();
  await screenshot(page, testInfo, '4-overview');
  expect(problems).toEqual([]);

  // Answered once: a reload goes straight to the pages.
  await page.goto(node.link);
  await expect(page.getByTestId('node-status')).toHaveText('Looking for peers');
  await expect(page.getByRole('heading', { name: 'Welcome to OpenGateway' })).toHaveCount(0);

  expect(await node.stop()).toBe(0);
});

test('consent declined: the node pauses (serves nobody), and stays paused after a restart', async ({
  page,
}, testInfo) => {
  const dataDir = join(root, 'data');
  node = await npmStart(dataDir);
  expect((await apiStatus(node.link)).state.status).toBe('looking-for-peers');
  await page.goto(node.link);
  await page.getByLabel(/Yes, contribute this computer’s spare capacity/).uncheck();
  await expect(page.getByTestId('decline-hint')).toBeVisible();
  await screenshot(page, testInfo, '1-declined');
  await page.getByRole('button', { name: 'Continue' }).click();
  await expect(page.getByTestId('not-contributing')).toBeVisible();
  expect((await apiStatus(node.link)).state).toMatchObject({ status: 'paused', reason: 'user' });
  await screenshot(page, testInfo, '2-setup-not-contributing');
  await page.getByRole('button', { name: 'Go to the Overview' }).click();
  await expect(page.getByTestId('node-status')).toHaveText('Paused');

  expect(await node.stop()).toBe(0);
  node = await npmStart(dataDir);
  expect((await apiStatus(node.link)).state).toMatchObject({ status: 'paused', reason: 'user' });
  expect(node.output()).toContain('contributing: paused until the user agrees (first run)');
  await page.goto(node.link);
  await expect(page.getByTestId('node-status')).toHaveText('Paused');
  await screenshot(page, testInfo, '3-after-restart');
});
