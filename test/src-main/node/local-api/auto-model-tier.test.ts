// A chat with `model: "auto"` is priced and served on the same tier (issue 11): the tier is resolved once,
// by the face that shows the price, and handed to the gateway. The race this closes: a cheaper tier becomes
// servable between resolving "auto" and routing; before, the gateway resolved again and served the cheaper
// tier while the reply named (and the chat panel charged) the first. Real libp2p nodes and engine doubles.
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiServer } from '../../../../src-main/node/local-api/http/api-server.ts';
import { openAiRoutes } from '../../../../src-main/node/local-api/openai/openai-routes.ts';
import { ChatRequests, chatCost } from '../../../../src-main/node/local-api/contract/chat-requests.ts';
import { ChatGateway, type GatewayTier } from '../../../../src-main/node/routing/chat-gateway.ts';
import type { ClusterDirectory } from '../../../../src-main/node/routing/cluster-directory.ts';
import type { InferRequester } from '../../../../src-main/node/routing/infer-requester.ts';
import type { ChatEvent } from '../../../../src-shared/ipc/index.ts';
import { removeTemporaryDirs } from '../engine/engine-test-kit.ts';
import {
  addEngine,
  connect,
  directoryOf,
  requesterFor,
  startNode,
  stopNode,
  type TestNode,
} from '../routing/routing-kit.ts';

const API_KEY = 'auto-tier-key-0123456789';
const TIERS: GatewayTier[] = [
  { id: 'model-a', label: 'Model A', modelId: 'llama-3.1-8b-instruct', price: 1 },
  { id: 'model-c', label: 'Model C', modelId: 'llama-3.3-70b-instruct', price: 8 },
];

let requester: TestNode;
let workerA: TestNode;
let workerC: TestNode;
let api: ApiServer;
let gateway: ChatGateway;
/** Tiers the gateway was asked to route to, in order. */
const routedTiers: string[] = [];
/** model-a's members stay hidden for this many more lookups: then the cheaper tier appears. */
let hiddenLookups = 0;

beforeAll(async () => {
  requester = await startNode();
  [workerA, workerC] = await Promise.all([startNode(), startNode()]);
  await addEngine(workerA, 'model-a', { tokenRate: 0 });
  await addEngine(workerC, 'model-c', { tokenRate: 0 });
  await connect(requester, workerA);
  await connect(requester, workerC);
  const real = directoryOf('asia', { 'model-a': [workerA], 'model-c': [workerC] });
  // The race, made deterministic: the first look at model-a sees nobody, every later look sees its worker.
  const directory: ClusterDirectory = {
    region: () => real.region(),
    members(tier) {
      if (tier === 'model-a' && hiddenLookups > 0) {
        hiddenLookups -= 1;
        return [];
      }
      return real.members(tier);
    },
  };
  const inner = requesterFor(requester, directory);
  const recording = {
    chat(tier: string, ...rest: unknown[]) {
      routedTiers.push(tier);
      return (inner.chat as (...args: unknown[]) => unknown)(tier, ...rest);
    },
  } as unknown as InferRequester;
  gateway = new ChatGateway({ directory, requester: recording, tiers: () => TIERS });
  api = new ApiServer({ apiKey: API_KEY, routes: openAiRoutes(gateway) });
  await api.start();
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await Promise.all([requester, workerA, workerC].filter(Boolean).map(stopNode));
  removeTemporaryDirs();
});

describe('model "auto" is priced and served on the same tier', { timeout: 30_000 }, () => {
  it('over the OpenAI API: the reply names the tier that served it', async () => {
    routedTiers.length = 0;
    hiddenLookups = 1;
    const client = new OpenAI({ apiKey: API_KEY, baseURL: `${api.url}/v1`, maxRetries: 0 });
    const reply = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'Hello' }],
      max_tokens: 8,
    });
    // "auto" resolved while only model-c was servable; model-a appeared before routing, and was not used.
    expect(routedTiers).toEqual(['model-c']);
    expect(reply.model).toBe('llama-3.3-70b-instruct');
  });

  it('in the chat panel: the cost is the price of the tier that served', async () => {
    routedTiers.length = 0;
    hiddenLookups = 1;
    const events: ChatEvent[] = [];
    const chats = new ChatRequests({
      gateway: () => gateway,
      publish: (event) => events.push(event),
      selfPeerId: () => null,
      onInternalError: (error) => {
        throw error;
      },
    });
    chats.start({
      requestId: 'auto-00000001',
      model: 'auto',
      messages: [{ role: 'user', content: 'Hello' }],
      maxTokens: 8,
    });
    await expect
      .poll(() => events.find((event) => event.type === 'done' || event.type === 'failed'))
      .toBeTruthy();
    const done = events.find((event) => event.type === 'done');
    expect(routedTiers).toEqual(['model-c']);
    expect(done).toBeDefined();
    if (done?.type !== 'done') return;
    expect(done.cost).toBe(chatCost(8, done.promptTokens, done.completionTokens));
    expect(done.cost).toBeGreaterThan(0);
  });
});
