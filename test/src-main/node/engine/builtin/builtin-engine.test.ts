// The built-in engine with real llama.cpp: a generated tiny model loaded in a child process, streamed for
// real. Threads 1 and no GPU (ref/real-engine.md); counts and structure are asserted, never the text.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatChunk, ChatUsageChunk } from '../../../../../src-shared/protocol/chat.ts';
import {
  BuiltinEngine,
  type BuiltinEngineInit,
} from '../../../../../src-main/node/engine/builtin/builtin-engine.ts';
import type { ModelFile } from '../../../../../src-main/node/engine/builtin/model-source.ts';
import { waitForEngineState, type EngineState } from '../../../../../src-main/node/engine/engine.ts';
import {
  EngineNotReadyError,
  EngineRequestError,
  EngineUnavailableError,
} from '../../../../../src-main/node/engine/errors.ts';
import { generateTestModelFile } from '../../../../model-gen/test-model-file.ts';

const double = (name: string) => fileURLToPath(new URL(`./doubles/${name}`, import.meta.url));

let dir = '';
let model: ModelFile;
const engines: BuiltinEngine[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-builtin-'));
  model = await generateTestModelFile(dir, 'tiny');
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function engineWith(init: Partial<BuiltinEngineInit> = {}): BuiltinEngine {
  const engine = new BuiltinEngine({
    model,
    threads: 1,
    gpu: false,
    restart: { initialDelayMs: 50, maxDelayMs: 200 },
    ...init,
  });
  engines.push(engine);
  return engine;
}

const isReady = (state: EngineState): state is Extract<EngineState, { status: 'ready' }> =>
  state.status === 'ready';
const isFailed = (state: EngineState): state is Extract<EngineState, { status: 'failed' }> =>
  state.status === 'failed';
const timeout = (ms = 20_000) => ({ signal: AbortSignal.timeout(ms) });

async function collect(
  stream: AsyncIterable<ChatChunk>,
): Promise<{ text: string; deltas: number; usage: ChatUsageChunk }> {
  let text = '';
  let deltas = 0;
  let usage: ChatUsageChunk | null = null;
  for await (const chunk of stream) {
    if (chunk.type === 'delta') {
      expect(usage, 'no delta after the usage chunk').toBeNull();
      deltas += 1;
      text += chunk.content ?? '';
    } else {
      usage = chunk;
    }
  }
  if (!usage) throw new Error('the stream ended without usage');
  return { text, deltas, usage };
}

const hello = { messages: [{ role: 'user' as const, content: 'hello world, who are you?' }] };

describe('BuiltinEngine (real llama.cpp in a child process)', () => {
  it('loads the model with progress, reports cpu, and streams tokens with usage', async () => {
    const engine = engineWith();
    const states: EngineState[] = [];
    engine.addEventListener('state', (event) => states.push(event.detail));
    expect(() => engine.chat(hello)).toThrow(EngineNotReadyError);
    await engine.start();
    const ready = await waitForEngineState(engine, isReady, timeout());
    expect(ready.models).toEqual([model.modelId]);
    expect(states.some((state) => state.status === 'loading')).toBe(true);
    expect(engine.loadInfo).toMatchObject({ backend: 'cpu', gpuLayers: 0, threads: 1 });
    expect(engine.pid).toBeGreaterThan(0);
    expect(engine.pid).not.toBe(process.pid);

    const { text, deltas, usage } = await collect(engine.chat({ ...hello, max_tokens: 24 }));
    expect(usage.usage.completionTokens).toBe(24);
    expect(usage.usage.promptTokens).toBeGreaterThan(5);
    expect(usage.usage.totalTokens).toBe(usage.usage.promptTokens + 24);
    expect(usage.finishReason).toBe('length');
    expect(deltas).toBeGreaterThan(0);
    expect(deltas).toBeLessThanOrEqual(24);
    expect(text.length).toBeGreaterThan(0);
    expect(engine.recentLog.some((line) => line.includes(`serving ${model.modelId} on cpu`))).toBe(true);

    // A history with a system prompt and an earlier answer: a longer prompt, the same output budget.
    const longer = await collect(
      engine.chat({
        messages: [
          { role: 'system', content: 'You are a test.' },
          { role: 'user', content: 'hello' },
          { role: 'assistant', content: 'hello world' },
          { role: 'user', content: 'say the answer' },
        ],
        max_tokens: 8,
      }),
    );
    expect(longer.usage.usage.completionTokens).toBe(8);
    expect(longer.usage.usage.promptTokens).toBeGreaterThan(usage.usage.promptTokens);
  });

  it('cancels a generation in llama.cpp when the caller stops reading, and serves the next request', async () => {
    const engine = engineWith({ sequences: 1 });
    await engine.start();
    await waitForEngineState(engine, isReady, timeout());
    const pid = engine.pid;
    const controller = new AbortController();
    const stream = engine.chat({ ...hello, max_tokens: 1500 }, { signal: controller.signal });
    let deltas = 0;
    await expect(
      (async () => {
        for await (const chunk of stream) {
          if (chunk.type === 'delta') deltas += 1;
          if (deltas === 3) controller.abort(new Error('the requester went away'));
        }
      })(),
    ).rejects.toThrow('the requester went away');
    // The host keeps running and its sequence is free again: with one sequence, the next request must wait
    // for the cancelled one to release it, so its completing proves the cancel reached llama.cpp.
    const next = await collect(engine.chat({ ...hello, max_tokens: 5 }));
    expect(next.usage.usage.completionTokens).toBe(5);
    expect(engine.pid).toBe(pid);
  });

  it('fails the request cleanly when the host is SIGKILLed mid-stream, restarts it, and serves again', async () => {
    const engine = engineWith({ sequences: 1 });
    await engine.start();
    await waitForEngineState(engine, isReady, timeout());
    const firstPid = engine.pid!;
    const stream = engine.chat({ ...hello, max_tokens: 1900 });
    let deltas = 0;
    const failure = await (async () => {
      try {
        for await (const chunk of stream) {
          if (chunk.type === 'delta' && ++deltas === 2) process.kill(firstPid, 'SIGKILL');
        }
        return null;
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(EngineUnavailableError);
    expect((failure as Error).message).toContain('SIGKILL');
    expect(deltas).toBeLessThan(1900);

    await waitForEngineState(engine, (state): state is EngineState => state.status !== 'ready', timeout());
    await waitForEngineState(engine, isReady, timeout());
    expect(engine.pid).not.toBe(firstPid);
    expect(engine.recentLog.some((line) => line.includes('was killed by SIGKILL; restart 1'))).toBe(true);
    const next = await collect(engine.chat({ ...hello, max_tokens: 6 }));
    expect(next.usage.usage.completionTokens).toBe(6);
  });

  it('refuses what llama.cpp cannot do here by name (images, tools)', async () => {
    const engine = engineWith();
    await engine.start();
    await waitForEngineState(engine, isReady, timeout());
    expect(() =>
      engine.chat({
        messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] }],
      }),
    ).toThrow(EngineRequestError);
    expect(() => engine.chat({ ...hello, tools: [{ type: 'function', function: { name: 'f' } }] })).toThrow(
      EngineRequestError,
    );
  });

  it('fails (without restarting) when the model file is not a model llama.cpp can load', async () => {
    // A GGUF header that promises one tensor and one key, then a key of the wrong type and nothing more.
    const damaged = Buffer.alloc(24 + 8 + 5 + 8);
    damaged.write('GGUF', 0, 'latin1');
    damaged.writeUInt32LE(3, 4);
    damaged.writeBigUInt64LE(1n, 8);
    damaged.writeBigUInt64LE(1n, 16);
    damaged.writeBigUInt64LE(5n, 24);
    damaged.write('hello', 32, 'latin1');
    damaged.writeUInt32LE(4, 37);
    const path = join(dir, 'damaged.gguf');
    await writeFile(path, damaged);
    const engine = engineWith({ model: { ...model, path } });
    await engine.start();
    const failed = await waitForEngineState(engine, isFailed, timeout());
    expect(failed.reason).toContain('llama.cpp could not load');
    expect(engine.recentLog.some((line) => line.includes('restart'))).toBe(false);
  });

  it('refuses a file whose header is not GGUF (or absurd) before llama.cpp reads it', async () => {
    const path = join(dir, 'not-a-model.gguf');
    await writeFile(path, 'GGUF but not really a model file');
    const engine = engineWith({ model: { ...model, path } });
    await engine.start();
    const failed = await waitForEngineState(engine, isFailed, timeout());
    expect(failed.reason).toContain('cannot be served: its GGUF version');
    expect(engine.pid).toBeNull();
  });

  it('fails with a clear reason when the model file is missing', async () => {
    const engine = engineWith({ model: { ...model, path: join(dir, 'missing.gguf') } });
    await engine.start();
    const failed = await waitForEngineState(engine, isFailed, timeout());
    expect(failed.reason).toContain('cannot be read');
  });

  it('reports a crash loop as failed with the host’s last lines', async () => {
    const engine = engineWith({
      hostScript: double('crashing-host.ts'),
      restart: { initialDelayMs: 10, maxDelayMs: 20, maxConsecutiveCrashes: 3 },
    });
    await engine.start();
    const failed = await waitForEngineState(engine, isFailed, timeout());
    expect(failed.reason).toContain('crashed 3 times in a row');
    expect(failed.lastLogLines).toContain('host double: libllama could not be loaded');
  });

  it('kills a host that sends a frame over the size limit instead of buffering it', async () => {
    const engine = engineWith({
      hostScript: double('garbage-host.ts'),
      restart: { initialDelayMs: 10, maxDelayMs: 20, maxConsecutiveCrashes: 2 },
    });
    await engine.start();
    const failed = await waitForEngineState(engine, isFailed, timeout());
    expect(failed.reason).toContain('crashed 2 times in a row');
    expect(engine.recentLog.some((line) => line.includes('over the 65536-byte limit'))).toBe(true);
    expect(engine.pid).toBeNull();
  });
});
