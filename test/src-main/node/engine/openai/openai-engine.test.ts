// The OpenAI-compatible engine, against the EXO double (EXO's API is OpenAI-compatible) as a real process.
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatUsageChunk } from '../../../../../src-shared/protocol/chat.ts';
import {
  normaliseOpenAiBaseUrl,
  OpenAiEngine,
  type OpenAiEngineInit,
} from '../../../../../src-main/node/engine/openai/openai-engine.ts';
import {
  collect,
  DOUBLE_SCRIPT,
  liveGroupMembers,
  SMALL_MODEL,
  startDouble,
  waitForStatus,
  type RunningDouble,
} from '../engine-test-kit.ts';
import { freeLoopbackPort } from '../../../../../src-main/node/net/free-loopback-port.ts';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function engineWith(init: OpenAiEngineInit): OpenAiEngine {
  const engine = new OpenAiEngine({
    pollIntervalMs: 50,
    livenessIntervalMs: 100,
    livenessTimeoutMs: 500,
    ...init,
  });
  cleanups.push(() => engine.stop());
  return engine;
}

async function runningServer(args: string[] = []): Promise<RunningDouble> {
  const double = await startDouble([
    '--double-token-rate',
    '0',
    '--double-load-step-ms',
    '5',
    '--double-preplace',
    SMALL_MODEL,
    ...args,
  ]);
  cleanups.push(() => double.stop());
  return double;
}

const HELLO = [{ role: 'user' as const, content: 'hello there' }];

describe('OpenAiEngine with a server the user runs', () => {
  it('lists the models, serves the configured one and reads usage from the stream', async () => {
    const server = await runningServer();
    const engine = engineWith({ baseUrl: server.url, model: SMALL_MODEL });
    await engine.start();
    expect((await waitForStatus(engine, 'ready')).models).toEqual([SMALL_MODEL]);
    expect(engine.baseUrl).toBe(`${server.url}/v1`);
    const chunks = await collect(engine.chat({ messages: HELLO, max_tokens: 6 }));
    expect(chunks.filter((chunk) => chunk.type === 'delta')).toHaveLength(6);
    expect((chunks.at(-1) as ChatUsageChunk).usage).toMatchObject({ completionTokens: 6 });
    expect((chunks.at(-1) as ChatUsageChunk).usage.estimated).toBeUndefined();
  });

  it('fails clearly when the server does not have the configured model', async () => {
    const server = await runningServer();
    const engine = engineWith({ baseUrl: `${server.url}/v1`, model: 'llama3.1:8b' });
    await engine.start();
    const failed = await waitForStatus(engine, 'failed');
    expect(failed.reason).toMatch(/does not serve llama3\.1:8b \(it lists: mlx-community\//);
  });

  it('serves each tier the listed model of its size, and refuses a chosen model of another size', async () => {
    const server = await runningServer();
    const tierA = { label: 'Model A', parameterBillions: 8 };
    const forA = engineWith({ baseUrl: server.url, tier: tierA });
    const forC = engineWith({ baseUrl: server.url, tier: { label: 'Model C', parameterBillions: 70 } });
    await Promise.all([forA.start(), forC.start()]);
    // The server lists a 1B model first: neither tier takes it.
    expect((await waitForStatus(forA, 'ready')).models).toEqual([
      'mlx-community/Meta-Llama-3.1-8B-Instruct-4bit',
    ]);
    expect((await waitForStatus(forC, 'ready')).models).toEqual([
      'mlx-community/Meta-Llama-3.1-70B-Instruct-4bit',
    ]);
    const wrong = engineWith({ baseUrl: server.url, model: SMALL_MODEL, tier: tierA });
    await wrong.start();
    expect((await waitForStatus(wrong, 'failed')).reason).toMatch(
      /Llama-3\.2-1B-Instruct-4bit has 1B parameters; this tier's model has 8B: choose another model for Model A/,
    );
    const none = engineWith({ baseUrl: server.url, tier: { label: 'Model X', parameterBillions: 405 } });
    await none.start();
    expect((await waitForStatus(none, 'failed')).reason).toMatch(
      /none of the models .* fits Model X \(405B parameters\)/,
    );
  });

  it('waits for a server that is not running yet, and for one that goes away', async () => {
    const port = await freeLoopbackPort();
    const engine = engineWith({ baseUrl: `http://127.0.0.1:${port}/v1`, model: SMALL_MODEL });
    await engine.start();
    await new Promise((done) => setTimeout(done, 300));
    expect(engine.state).toMatchObject({
      status: 'starting',
      detail: expect.stringMatching(/waiting for/) as string,
    });
    const server = await startDouble(['--double-preplace', SMALL_MODEL, '--double-load-step-ms', '5'], {
      port,
    });
    cleanups.push(() => server.stop());
    await waitForStatus(engine, 'ready');
    await server.stop();
    await waitForStatus(engine, 'starting');
    expect(engine.recentLog.some((line) => /stopped answering/.test(line))).toBe(true);
  });

  it('sends the API key as a bearer token and estimates usage for a server that sends none', async () => {
    const seen: (string | null)[] = [];
    const stream = [
      'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"Hi"}}]}',
      'data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":" you"},"finish_reason":"stop"}]}',
      'data: [DONE]',
      '',
    ].join('\n\n');
    const fakeFetch: typeof fetch = (input, init) => {
      seen.push(new Headers(init?.headers).get('authorization'));
      const url = String(input instanceof Request ? input.url : input);
      if (url.endsWith('/models'))
        return Promise.resolve(Response.json({ object: 'list', data: [{ id: 'qwen3:8b' }] }));
      return Promise.resolve(new Response(stream, { headers: { 'content-type': 'text/event-stream' } }));
    };
    const engine = engineWith({ baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-local', fetch: fakeFetch });
    await engine.start();
    expect((await waitForStatus(engine, 'ready')).models).toEqual(['qwen3:8b']);
    const chunks = await collect(engine.chat({ messages: [{ role: 'user', content: '12345678' }] }));
    expect(chunks.at(-1)).toEqual({
      type: 'usage',
      usage: { promptTokens: 2, completionTokens: 2, totalTokens: 4, estimated: true },
      finishReason: 'stop',
    });
    expect(new Set(seen)).toEqual(new Set(['Bearer sk-local']));
  });
});

describe('OpenAiEngine with a start command', () => {
  it('starts the server in its own process group, serves, and stops it', async () => {
    const port = await freeLoopbackPort();
    const engine = engineWith({
      baseUrl: `http://127.0.0.1:${port}`,
      startCommand: {
        command: process.execPath,
        args: [
          DOUBLE_SCRIPT,
          '--api-port',
          String(port),
          '--double-preplace',
          SMALL_MODEL,
          '--double-load-step-ms',
          '5',
        ],
      },
      stopGraceMs: 2_000,
    });
    await engine.start();
    await waitForStatus(engine, 'ready');
    expect(engine.startedServer).toBe(true);
    const pgid = engine.pid!;
    expect(liveGroupMembers(pgid)).toContain(pgid);
    await engine.stop();
    expect(liveGroupMembers(pgid)).toEqual([]);
  });

  it('uses a server that already answers instead of starting a second one', async () => {
    const server = await runningServer();
    const engine = engineWith({
      baseUrl: server.url,
      startCommand: { command: '/nonexistent/server' },
    });
    await engine.start();
    await waitForStatus(engine, 'ready');
    expect(engine.startedServer).toBe(false);
  });

  it('restarts a crashing server with backoff and reports a crash loop with its last lines', async () => {
    const port = await freeLoopbackPort();
    const engine = engineWith({
      baseUrl: `http://127.0.0.1:${port}`,
      startCommand: {
        command: process.execPath,
        args: [DOUBLE_SCRIPT, '--api-port', String(port), '--double-crash-after-ms', '50'],
      },
      restart: { initialDelayMs: 50, maxConsecutiveCrashes: 3 },
    });
    await engine.start();
    const failed = await waitForStatus(engine, 'failed');
    expect(failed.reason).toMatch(/crashed 3 times in a row/);
    expect(
      failed.lastLogLines.some((line) => line.includes('EXO terminated due to unhandled exception')),
    ).toBe(true);
  });
});

describe('normaliseOpenAiBaseUrl', () => {
  it('adds /v1 to a bare server address and keeps an explicit path', () => {
    expect(normaliseOpenAiBaseUrl('http://localhost:11434')).toBe('http://localhost:11434/v1');
    expect(normaliseOpenAiBaseUrl('http://localhost:1234/v1/')).toBe('http://localhost:1234/v1');
    expect(normaliseOpenAiBaseUrl('https://gpu.lan/api/openai/v1')).toBe('https://gpu.lan/api/openai/v1');
  });
});
