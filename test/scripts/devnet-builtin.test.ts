// Issue 12's acceptance in a devnet: the default devnet serves with the built-in engine. Each worker downloads
// the generated test model from the devnet's own origin on 127.0.0.1 (real download path: catalog, disk
// check, SHA-256), runs it in llama.cpp, and an official OpenAI client on a node that serves nothing gets
// llama.cpp's tokens, named as the generated model, and pays the worker for them on the ledger.
import { peerIdFromString } from '@libp2p/peer-id';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { promptTokenCount } from '../../src-shared/protocol/prompt-token-count.ts';
import { testModelId } from '../model-gen/write-test-model.ts';
import { startDevnetProcess, type DevnetNode, type DevnetProcess } from './devnet-process.ts';

interface AccountSummary {
  readonly balance: string;
  readonly earned: string;
  readonly spent: string;
}

interface StatusReport {
  readonly engine: { readonly kind: string; readonly simulated: boolean } | null;
  readonly engines: Record<string, { readonly status: string; readonly models?: readonly string[] }>;
  readonly models: Record<string, { readonly status: string; readonly modelId?: string }>;
}

const MODEL_ID = testModelId('tiny');
let devnet: DevnetProcess;

beforeAll(async () => {
  devnet = await startDevnetProcess(['--nodes', '2', '--genesis-tokens', '5000', '--price', '1000']);
}, 150_000);

afterAll(async () => {
  await devnet?.stop();
}, 60_000);

async function get<T>(node: DevnetNode, path: string): Promise<T> {
  const response = await fetch(`${node.apiUrl}${path}`, {
    headers: { authorization: `Bearer ${node.apiKey}` },
  });
  return (await response.json()) as T;
}

const accountOf = (peerId: string) => Buffer.from(peerIdFromString(peerId).publicKey!.raw).toString('hex');
const tokens = (text: string) => Number(text.replaceAll(',', ''));
const viewOf = async (node: DevnetNode, of: DevnetNode) =>
  (await get<{ account: AccountSummary }>(node, `/api/ledger?account=${accountOf(of.peerId)}`)).account;

async function eventually(what: string, check: () => Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('a devnet on the built-in engine', () => {
  it('says which engine and model its workers run, each model fetched and verified', async () => {
    expect(devnet.stderr()).toContain(
      `workers run llama.cpp, the built-in engine, with the generated model ${MODEL_ID}`,
    );
    for (const worker of devnet.nodes.filter((node) => node.role === 'worker')) {
      const report = await get<StatusReport>(worker, '/api/status');
      expect(report.engine).toEqual({ kind: 'builtin', simulated: false });
      expect(report.models['model-a']).toMatchObject({ status: 'ready', modelId: MODEL_ID });
      const engine = Object.entries(report.engines).find(([cluster]) => cluster.endsWith('/model-a'))?.[1];
      expect(engine).toMatchObject({ status: 'ready', models: [MODEL_ID] });
    }
  });

  it('answers an OpenAI client with llama.cpp tokens, and the requester pays the worker for them', async () => {
    const requester = devnet.nodes.find((node) => node.role === 'bootstrap')!; // serves nothing
    const workers = devnet.nodes.filter((node) => node.role === 'worker');
    const before = await viewOf(requester, requester);
    const client = new OpenAI({ apiKey: requester.apiKey, baseURL: `${requester.apiUrl}/v1`, maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'Hello from the devnet' }];
    const stream = await client.chat.completions.create({
      model: 'model-a',
      messages,
      max_tokens: 24,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    const models = new Set<string>();
    let usage: OpenAI.CompletionUsage | undefined;
    for await (const chunk of stream) {
      models.add(chunk.model);
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usage = chunk.usage;
    }
    expect([...models]).toEqual([MODEL_ID]);
    expect(text.length).toBeGreaterThan(0);
    // The generated model never samples its end token: llama.cpp runs to max_tokens.
    expect(usage?.completion_tokens).toBe(24);
    expect(usage?.prompt_tokens).toBeGreaterThan(0);
    // The prompt is billed at the network's count when the engine counts more (security finding 16).
    const billedPrompt = Math.min(usage!.prompt_tokens, promptTokenCount({ messages, max_tokens: 24 }));
    const cost = (billedPrompt + usage!.completion_tokens) * 1; // price 1,000 per 1,000 units

    await eventually('the requester paid and a worker earned exactly the cost', async () => {
      const after = await viewOf(requester, requester);
      if (tokens(after.spent) - tokens(before.spent) !== cost) return false;
      let earned = 0;
      for (const worker of workers) earned += tokens((await viewOf(worker, worker)).earned);
      return earned === cost;
    });
    expect(tokens((await viewOf(requester, requester)).balance)).toBe(tokens(before.balance) - cost);
  });
});
