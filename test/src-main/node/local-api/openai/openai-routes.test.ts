import { request as httpRequest } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer } from '../../../../../src-main/node/local-api/http/api-server.ts';
import { openAiRoutes } from '../../../../../src-main/node/local-api/openai/openai-routes.ts';
import { ChatGateway, type GatewayTier } from '../../../../../src-main/node/routing/chat-gateway.ts';
import { removeTemporaryDirs } from '../../engine/engine-test-kit.ts';
import {
  addEngine,
  connect,
  directoryOf,
  requesterFor,
  startNode,
  stopNode,
  type TestNode,
} from '../../routing/routing-kit.ts';

const API_KEY = 'test-key-0123456789';
const TIERS: GatewayTier[] = [
  { id: 'model-a', label: 'Model A', modelId: 'llama-3.1-8b-instruct', price: 1 },
  { id: 'model-c', label: 'Model C', modelId: 'llama-3.3-70b-instruct', price: 8 },
];

let requester: TestNode;
let workers: TestNode[];
let api: ApiServer;
let client: OpenAI;

beforeAll(async () => {
  requester = await startNode();
  workers = await Promise.all([startNode({ capacityPerTier: 32 }), startNode({ capacityPerTier: 32 })]);
  await Promise.all(workers.map((worker) => addEngine(worker, 'model-a', { tokenRate: 0 })));
  await Promise.all(workers.map((worker) => connect(requester, worker)));
  const directory = directoryOf('asia', { 'model-a': workers });
  const gateway = new ChatGateway({
    directory,
    requester: requesterFor(requester, directory, {
      queue: { retryMs: 20, maxWaiting: 512, timeoutMs: 60_000 },
      tierLabel: (tier) => TIERS.find((candidate) => candidate.id === tier)?.label ?? tier,
    }),
    tiers: () => TIERS,
  });
  api = new ApiServer({ apiKey: API_KEY, routes: openAiRoutes(gateway) });
  await api.start();
  client = new OpenAI({ apiKey: API_KEY, baseURL: `${api.url}/v1`, maxRetries: 0 });
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await Promise.all([requester, ...(workers ?? [])].filter(Boolean).map(stopNode));
  removeTemporaryDirs();
});

describe('the local OpenAI-compatible API with the official openai client', () => {
  it('lists the models the region can serve now, with tier and member count', async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(['llama-3.1-8b-instruct']);
    expect(models.data[0]).toMatchObject({ object: 'model', tier: 'model-a', members: 2 });
  });

  it('streams a chat completion and reports the usage', async () => {
    const stream = await client.chat.completions.create({
      model: 'llama-3.1-8b-instruct',
      messages: [{ role: 'user', content: 'Hello there' }],
      max_tokens: 16,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage: OpenAI.CompletionUsage | null | undefined;
    let finish: string | null = null;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(finish).toBe('length');
    expect(usage?.completion_tokens).toBe(16);
    expect(usage?.total_tokens).toBe((usage?.prompt_tokens ?? 0) + 16);
  });

  it('answers without streaming, by tier name or auto', async () => {
    for (const model of ['model-a', 'auto']) {
      const completion = await client.chat.completions.create({
        model,
        messages: [{ role: 'user', content: 'Hi' }],
        max_tokens: 5,
      });
      expect(completion.object).toBe('chat.completion');
      expect(completion.model).toBe('llama-3.1-8b-instruct');
      expect(completion.choices[0]?.message.content?.length).toBeGreaterThan(0);
      expect(completion.usage?.completion_tokens).toBe(5);
    }
  });

  it('refuses a wrong key with 401', async () => {
    const wrong = new OpenAI({ apiKey: 'not-the-key', baseURL: `${api.url}/v1`, maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it('refuses a foreign Host header (DNS rebinding) with 403', async () => {
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: api.port,
          path: '/v1/models',
          headers: { host: `evil.example:${api.port}`, authorization: `Bearer ${API_KEY}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('explains unknown models, missing capacity and bad requests in OpenAI’s error shape', async () => {
    const ask = (model: string, extra: Record<string, unknown> = {}) =>
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'x' }], ...extra });
    await expect(ask('gpt-4o')).rejects.toMatchObject({ status: 404, code: 'model_not_found' });
    await expect(ask('model-c')).rejects.toMatchObject({
      status: 503,
      code: 'no_capacity',
      message: expect.stringContaining('no node in Asia serves Model C right now') as string,
    });
    await expect(ask('model-a', { temperature: 7 })).rejects.toMatchObject({
      status: 400,
      message: expect.stringContaining('"temperature" must be a number from 0 to 2') as string,
    });
  });

  it('serves 200 concurrent streamed requests: none lost, none hung', async () => {
    const started = Array.from({ length: 200 }, async (_, index) => {
      const stream = await client.chat.completions.create({
        model: 'model-a',
        messages: [{ role: 'user', content: `request ${index}` }],
        max_tokens: 8,
        stream: true,
        stream_options: { include_usage: true },
      });
      let completion = 0;
      for await (const chunk of stream) if (chunk.usage) completion = chunk.usage.completion_tokens;
      return completion;
    });
    const results = await Promise.allSettled(started);
    const failures = results.filter((result) => result.status === 'rejected');
    expect(failures.map((failure) => String(failure.reason))).toEqual([]);
    expect(results.map((result) => (result.status === 'fulfilled' ? result.value : -1))).toEqual(
      Array(200).fill(8),
    );
    for (const worker of workers) expect(worker.worker.load('model-a')).toBe(0);
  }, 120_000);
});
