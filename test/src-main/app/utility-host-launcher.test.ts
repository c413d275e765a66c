// The desktop app's llama.cpp host on Electron's utilityProcess (the double: a real Node child process with
// Electron's API, and child_process.fork unavailable in it as with the RunAsNode fuse off). The real host, real
// llama.cpp and the generated tiny model: chats stream, a killed host is restarted, a crash loop fails with the
// host's last lines, and a host that posts something other than bytes is killed.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatChunk, ChatUsageChunk } from '../../../src-shared/protocol/chat.ts';
import { HOST_SERVICE_NAME, utilityHostLauncher } from '../../../src-main/app/utility-host-launcher.ts';
import {
  BuiltinEngine,
  type BuiltinEngineInit,
} from '../../../src-main/node/engine/builtin/builtin-engine.ts';
import type { ModelFile } from '../../../src-main/node/engine/builtin/model-source.ts';
import { waitForEngineState, type EngineState } from '../../../src-main/node/engine/engine.ts';
import { EngineUnavailableError } from '../../../src-main/node/engine/errors.ts';
import { initNetwork } from '../../../src-main/node/network-config/init-network.ts';
import { OpenGatewayNode } from '../../../src-main/node/node.ts';
import { generateTestModelFile } from '../../model-gen/test-model-file.ts';
import { testModelContextLength, testModelId } from '../../model-gen/write-test-model.ts';
import { ModelFileServer } from '../node/models/model-file-server.ts';
import { utilityProcess, UtilityProcessDouble } from './electron-mock.ts';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

let dir = '';
let model: ModelFile;
const engines: BuiltinEngine[] = [];

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-utility-host-'));
  model = await generateTestModelFile(dir, 'tiny');
});
afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
  UtilityProcessDouble.instances.splice(0);
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
    hostLauncher: utilityHostLauncher(utilityProcess),
    ...init,
  });
  engines.push(engine);
  return engine;
}

const isReady = (state: EngineState): state is Extract<EngineState, { status: 'ready' }> =>
  state.status === 'ready';
const isFailed = (state: EngineState): state is Extract<EngineState, { status: 'failed' }> =>
  state.status === 'failed';
const timeout = (ms = 30_000) => ({ signal: AbortSignal.timeout(ms) });
const hello = { messages: [{ role: 'user' as const, content: 'hello world, who are you?' }] };

async function collect(stream: AsyncIterable<ChatChunk>): Promise<{ deltas: number; usage: ChatUsageChunk }> {
  let deltas = 0;
  let usage: ChatUsageChunk | null = null;
  for await (const chunk of stream) {
    if (chunk.type === 'delta') deltas += 1;
    else usage = chunk;
  }
  if (!usage) throw new Error('the stream ended without usage');
  return { deltas, usage };
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the llama.cpp host on utilityProcess (desktop app)', { timeout: 90_000 }, () => {
  it('starts the real host as a utility process and streams a real chat from it', async () => {
    const engine = engineWith();
    await engine.start();
    await waitForEngineState(engine, isReady, timeout());
    expect(engine.loadInfo).toMatchObject({ backend: 'cpu', gpuLayers: 0, threads: 1 });

    const [child] = UtilityProcessDouble.instances;
    expect(UtilityProcessDouble.instances).toHaveLength(1);
    expect(child!.modulePath).toMatch(/llama-host\.ts$/);
    expect(child!.options).toMatchObject({ stdio: 'pipe', serviceName: HOST_SERVICE_NAME });
    // Nothing asks the app binary to run as Node: the packaged app's fuse ignores it anyway.
    expect(Object.keys(child!.options.env ?? {})).not.toContain('ELECTRON_RUN_AS_NODE');
    expect(engine.pid).toBe(child!.pid);
    expect(engine.pid).not.toBe(process.pid);
    expect(engine.recentLog.some((line) => line.includes('llama-host.ts (Electron utility process)'))).toBe(
      true,
    );

    const { deltas, usage } = await collect(engine.chat({ ...hello, max_tokens: 16 }));
    expect(usage.usage.completionTokens).toBe(16);
    expect(usage.usage.promptTokens).toBeGreaterThan(5);
    expect(deltas).toBeGreaterThan(0);

    // Stopping the engine ends the utility process.
    const pid = engine.pid!;
    await engine.stop();
    expect(isAlive(pid)).toBe(false);
  });

  it('restarts a host that was killed mid-stream and serves again', async () => {
    const engine = engineWith({ sequences: 1 });
    await engine.start();
    await waitForEngineState(engine, isReady, timeout());
    const firstPid = engine.pid!;
    let deltas = 0;
    const failure = await (async () => {
      try {
        for await (const chunk of engine.chat({ ...hello, max_tokens: 1900 })) {
          if (chunk.type === 'delta' && ++deltas === 2) process.kill(firstPid, 'SIGKILL');
        }
        return null;
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(EngineUnavailableError);
    expect(deltas).toBeLessThan(1900);

    await waitForEngineState(engine, (state): state is EngineState => state.status !== 'ready', timeout());
    await waitForEngineState(engine, isReady, timeout());
    expect(engine.pid).not.toBe(firstPid);
    expect(UtilityProcessDouble.instances).toHaveLength(2);
    // Electron reports only a number for the exit: SIGKILL's.
    expect(engine.recentLog.some((line) => line.includes('exited with code 9; restart 1'))).toBe(true);
    const next = await collect(engine.chat({ ...hello, max_tokens: 6 }));
    expect(next.usage.usage.completionTokens).toBe(6);
  });

  it('reports a crash loop as failed with the host’s last lines', async () => {
    const engine = engineWith({
      hostScript: here('../node/engine/builtin/doubles/crashing-host.ts'),
      restart: { initialDelayMs: 10, maxDelayMs: 20, maxConsecutiveCrashes: 3 },
    });
    await engine.start();
    const failed = await waitForEngineState(engine, isFailed, timeout());
    expect(failed.reason).toContain('crashed 3 times in a row');
    expect(failed.lastLogLines).toContain('host double: libllama could not be loaded');
    expect(UtilityProcessDouble.instances).toHaveLength(3);
  });

  it('kills a host that posts something other than bytes', async () => {
    const engine = engineWith({
      hostScript: here('./doubles/string-message-host.ts'),
      restart: { initialDelayMs: 10, maxDelayMs: 20, maxConsecutiveCrashes: 2 },
      stopGraceMs: 500,
    });
    await engine.start();
    const failed = await waitForEngineState(engine, isFailed, timeout());
    expect(failed.reason).toContain('crashed 2 times in a row');
    expect(
      engine.recentLog.some((line) => line.includes('a message of type string where bytes were expected')),
    ).toBe(true);
    expect(engine.pid).toBeNull();
    for (const child of UtilityProcessDouble.instances) expect(child.pid).toBeUndefined();
  });

  it('is what a node given the app’s launcher starts its built-in tier’s host with', async () => {
    const root = await mkdtemp(join(tmpdir(), 'og-utility-node-'));
    const server = new ModelFileServer();
    let node: OpenGatewayNode | null = null;
    try {
      const bytes = new Uint8Array(await readFile(model.path));
      server.serve('/tiny.gguf', bytes);
      const base = await server.start();
      const { configPath } = await initNetwork({
        outDir: join(root, 'net'),
        founders: 1,
        catalog: {
          tiers: {
            'model-a': {
              engineModels: {
                exo: 'none',
                builtin: {
                  format: 'gguf',
                  id: testModelId('tiny'),
                  quantization: 'F32',
                  contextLength: testModelContextLength('tiny'),
                  memoryBytes: bytes.length * 8,
                  files: [
                    {
                      name: 'og-test-tiny.gguf',
                      urls: [`${base}/tiny.gguf`],
                      sizeBytes: bytes.length,
                      sha256: model.sha256,
                    },
                  ],
                },
              },
            },
          },
        },
      });
      node = new OpenGatewayNode({
        dataDir: join(root, 'data'),
        networkConfigPath: configPath,
        listen: ['/ip4/127.0.0.1/tcp/0'],
        region: 'europe',
        serveTiers: ['model-a'],
        heartbeatIntervalMs: 300,
        bootstrapWaitMs: 100,
        log: () => undefined,
        // What launch-node.ts passes (with Electron's utilityProcess; here the double).
        routing: {
          engine: { kind: 'builtin', threads: 1, gpu: false },
          builtinHostLauncher: utilityHostLauncher(utilityProcess),
        },
      });
      await node.start();
      const deadline = Date.now() + 60_000;
      while (node.report().engines['europe/model-a']?.status !== 'ready') {
        if (Date.now() > deadline) throw new Error('llama.cpp did not become ready');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(UtilityProcessDouble.instances).toHaveLength(1);
      expect(UtilityProcessDouble.instances[0]!.pid).toBeGreaterThan(0);
      expect(
        node.engineLog('europe/model-a').some((line) => line.includes('(Electron utility process)')),
      ).toBe(true);
    } finally {
      await node?.stop();
      await server.stop();
      await rm(root, { recursive: true, force: true });
    }
  });
});
