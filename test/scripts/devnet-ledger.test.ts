// The ledger's acceptance in a devnet (issue 6): real node processes on 127.0.0.1, each its own simulated
// machine, a network whose genesis is 1,000 tokens per node and whose model-a costs 2 tokens per work unit,
// so one long reply takes the requester into debt. A chat moves exactly its cost from the requester to the
// worker on every node's view; the indebted requester is refused with a clear message; a new installation
// on its machine (new key, same fingerprint) starts in the same debt.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { peerIdFromString } from '@libp2p/peer-id';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readApiEndpoint } from '../../src-main/node/local-api/http/api-endpoint-file.ts';
import { startDevnetProcess, type DevnetNode, type DevnetProcess } from './devnet-process.ts';
import { locationsFor } from '../../src-main/node/locations.ts';

const BIN = fileURLToPath(new URL('../../src-main/cli/bin.ts', import.meta.url));

interface AccountSummary {
  account: string;
  opened: boolean;
  balance: string;
  reserved: string;
  earned: string;
  spent: string;
  refusal: string | null;
}

let devnet: DevnetProcess;
let nodes: readonly DevnetNode[];
let root = '';
const extra: ChildProcess[] = [];
const scratch = mkdtempSync(join(tmpdir(), 'og-reinstall-'));

beforeAll(async () => {
  devnet = await startDevnetProcess([
    '--engine',
    'exo-double',
    '--nodes',
    '2',
    '--token-rate',
    '0',
    '--genesis-tokens',
    '1000',
    '--price',
    '2000',
  ]);
  nodes = devnet.nodes;
  root = /devnet: network \S+ in (\S+)/.exec(devnet.stderr())?.[1] ?? '';
}, 120_000);

afterAll(async () => {
  for (const child of extra) {
    if (child.exitCode !== null) continue;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGINT');
    await exited;
  }
  await devnet.stop();
  rmSync(scratch, { recursive: true, force: true });
}, 60_000);

async function api<T>(node: { apiUrl: string; apiKey: string }, path: string, body?: unknown) {
  const response = await fetch(`${node.apiUrl}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { authorization: `Bearer ${node.apiKey}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as T };
}

const accountOf = (peerId: string) => Buffer.from(peerIdFromString(peerId).publicKey!.raw).toString('hex');
const tokens = (text: string) => Number(text.replaceAll(',', ''));

async function viewOf(node: DevnetNode, account: string): Promise<AccountSummary> {
  return (await api<{ account: AccountSummary }>(node, `/api/ledger?account=${account}`)).body.account;
}

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

type Chat = { usage?: { prompt_tokens: number; completion_tokens: number }; error?: { message: string } };

describe('the ledger in a devnet', () => {
  let cost = 0;

  it('moves a chat’s cost from the requester to the worker, the same on every node after sync', async () => {
    const requester = nodes.find((node) => node.role === 'bootstrap')!; // serves nothing: every reply is paid
    const reply = await api<Chat>(requester, '/v1/chat/completions', {
      model: 'auto',
      messages: [{ role: 'user', content: 'Tell me a long story' }],
      max_tokens: 500,
    });
    expect(reply.status).toBe(200);
    const usage = reply.body.usage!;
    cost = 2 * (usage.prompt_tokens + usage.completion_tokens);
    expect(cost).toBeGreaterThan(1000); // this one reply takes the requester into debt

    // Which worker served it: the one whose account earned.
    const earned = await Promise.all(
      nodes
        .filter((n) => n.role === 'worker')
        .map(async (n) => [n, await viewOf(n, accountOf(n.peerId))] as const),
    );
    await eventually('the worker claimed its payment', async () => {
      for (const [n] of earned) if (tokens((await viewOf(n, accountOf(n.peerId))).earned) > 0) return true;
      return false;
    });
    let worker: DevnetNode | undefined;
    for (const [n] of earned) if (tokens((await viewOf(n, accountOf(n.peerId))).earned) > 0) worker = n;
    expect(worker).toBeDefined();

    await eventually('every node sees both balances moved by the cost', async () => {
      for (const node of nodes) {
        const r = await viewOf(node, accountOf(requester.peerId));
        const w = await viewOf(node, accountOf(worker!.peerId));
        if (tokens(r.balance) !== 1000 - cost || tokens(w.balance) !== 1000 + cost) return false;
        if (tokens(r.reserved) !== 0) return false;
      }
      return true;
    });
  }, 60_000);

  it('refuses a requester below 1,000 tokens with a clear message', async () => {
    const requester = nodes.find((node) => node.role === 'bootstrap')!;
    const reply = await api<Chat>(requester, '/v1/chat/completions', {
      model: 'auto',
      messages: [{ role: 'user', content: 'One more, please' }],
      max_tokens: 10,
    });
    expect(reply.status).toBe(402);
    expect(reply.body.error?.message).toBe(
      `balance below 1,000 tokens: ${(1000 - cost).toLocaleString('en-US')} available; contribute compute to earn more`,
    );
  }, 30_000);

  it('starts a reinstall on the indebted machine (new key, same fingerprint) in that debt', async () => {
    const dataDir = join(scratch, 'reinstalled');
    const child = spawn(
      process.execPath,
      [
        '--disable-warning=ExperimentalWarning',
        BIN,
        'start',
        '--data-dir', dataDir,
        '--network-config', join(root, 'network', 'network-config.json'),
        '--simulated-machine', 'bootstrap', // the machine the indebted requester runs on
        '--listen', '/ip4/127.0.0.1/tcp/0',
        '--region', 'asia',
      ], // prettier-ignore
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    extra.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    let endpoint: { url: string } | null = null;
    await eventually('the new installation runs', async () => {
      endpoint = await readApiEndpoint(locationsFor(dataDir).apiEndpoint);
      return endpoint !== null;
    });
    const node = {
      apiUrl: endpoint!.url,
      apiKey: (await import('node:fs')).readFileSync(locationsFor(dataDir).apiKey, 'utf8').trim(),
    };
    let mine: AccountSummary | null = null;
    await eventually('its account opened', async () => {
      // 503 without an account while the node is still starting.
      mine = (await api<{ account?: AccountSummary }>(node, '/api/ledger')).body.account ?? null;
      return mine?.opened === true;
    });
    expect(tokens(mine!.balance)).toBe(1000 - cost);
    expect(output).toMatch(/account opened with -?[\d.]+ tokens \(debt this machine owes/);
    // The others agree once its OPEN reaches them, and the new account is refused like the old one.
    const bootstrap = nodes.find((n) => n.role === 'bootstrap')!;
    await eventually('a devnet node sees the inherited debt', async () => {
      const seen = await viewOf(bootstrap, mine!.account);
      return seen.opened && tokens(seen.balance) === 1000 - cost;
    });
    const reply = await api<Chat>(node, '/v1/chat/completions', {
      model: 'auto',
      messages: [{ role: 'user', content: 'Hello again' }],
      max_tokens: 10,
    });
    expect(reply.status).toBe(402);
    expect(reply.body.error?.message).toMatch(/balance below 1,000 tokens/);
  }, 90_000);
});
