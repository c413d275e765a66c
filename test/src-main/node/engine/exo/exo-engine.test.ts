// The EXO supervisor against the EXO double as a real child process, spawned as the `exo` command.
import { afterEach, describe, expect, it } from 'vitest';
import type { ChatChunk, ChatUsageChunk } from '../../../../../src-shared/protocol/chat.ts';
import type { ExoEngine } from '../../../../../src-main/node/engine/exo/exo-engine.ts';
import {
  EngineNotReadyError,
  EngineProtocolError,
  EngineUnavailableError,
} from '../../../../../src-main/node/engine/errors.ts';
import { promptSeed, promptTokenCount, tokenAt } from '../../../../exo-double/generated-text.ts';
import {
  collect,
  isAlive,
  liveGroupMembers,
  recordStates,
  removeTemporaryDirs,
  SMALL_MODEL,
  spawnedExoEngine,
  waitForStatus,
} from '../engine-test-kit.ts';

const engines: ExoEngine[] = [];
async function engineFor(options: Parameters<typeof spawnedExoEngine>[0] = {}): Promise<ExoEngine> {
  const engine = await spawnedExoEngine(options);
  engines.push(engine);
  return engine;
}

afterEach(async () => {
  await Promise.all(engines.splice(0).map((engine) => engine.stop()));
  removeTemporaryDirs();
});

const PROMPT = [{ role: 'user' as const, content: 'Say something about peer to peer inference.' }];

function expectedText(count: number): string {
  const seed = promptSeed(PROMPT.map((message) => message.content).join('\n'));
  return Array.from({ length: count }, (_, index) => tokenAt(seed, index)).join('');
}

function deltaText(chunks: readonly ChatChunk[]): string {
  return chunks.map((chunk) => (chunk.type === 'delta' ? (chunk.content ?? '') : '')).join('');
}

async function doubleGenerations(engine: ExoEngine) {
  const response = await fetch(`${engine.apiUrl}/__double/generations`);
  return (await response.json()) as {
    commandId: string;
    tokensSent: number;
    status: string;
    cancelledBy: string | null;
  }[];
}

describe('ExoEngine supervising a spawned EXO', () => {
  it('starts EXO, places the model, reports loading progress and becomes ready', async () => {
    const engine = await engineFor({ double: { loadStepMs: 20 } });
    const states = recordStates(engine);
    await engine.start();
    const ready = await waitForStatus(engine, 'ready');
    expect(ready.models).toEqual([SMALL_MODEL]);
    const statuses = states.map((state) => state.status);
    expect(statuses[0]).toBe('starting');
    expect(statuses).toContain('loading');
    const progress = states.flatMap((state) => (state.status === 'loading' ? [state.progress] : []));
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(states.some((state) => state.status === 'loading' && state.phase === 'loading')).toBe(true);
    expect(engine.installation).toMatchObject({ source: 'configured', generation: 'zenoh' });
    expect(engine.attached).toBe(false);
    // EXO's coloured stderr arrives as plain lines.
    expect(engine.recentLog.some((line) => line.includes('Starting node'))).toBe(true);
    expect(engine.recentLog.every((line) => !line.includes('\x1b'))).toBe(true);
  });

  it('keeps chunk order and reads usage (and the serving EXO nodes) from the last chunk', async () => {
    const engine = await engineFor();
    await engine.start();
    await waitForStatus(engine, 'ready');
    const chunks = await collect(engine.chat({ messages: PROMPT, max_tokens: 40 }));
    const last = chunks.at(-1) as ChatUsageChunk;
    expect(chunks.slice(0, -1).every((chunk) => chunk.type === 'delta')).toBe(true);
    expect(deltaText(chunks)).toBe(expectedText(40));
    expect(last.type).toBe('usage');
    expect(last.usage).toEqual({
      promptTokens: promptTokenCount([PROMPT[0]!.content]),
      completionTokens: 40,
      totalTokens: promptTokenCount([PROMPT[0]!.content]) + 40,
      cachedPromptTokens: 0,
    });
    expect(last.finishReason).toBe('length');
    const nodeId = Object.keys(engine.servingInstance!.nodeToRunner)[0];
    expect(last.servedBy).toEqual([{ engineNodeId: nodeId, share: 1 }]);
  });

  it('records every EXO node of a model split across machines, with its share of the layers', async () => {
    // 500 MB per node: the 0.7 GB model fits only on both machines of the simulated LAN cluster.
    const engine = await engineFor({ double: { nodes: 2, ramMb: 500 }, init: { memoryMb: 500 } });
    await engine.start();
    await waitForStatus(engine, 'ready');
    const chunks = await collect(engine.chat({ messages: PROMPT, max_tokens: 3 }));
    const last = chunks.at(-1) as ChatUsageChunk;
    expect(last.servedBy).toHaveLength(2);
    expect(last.servedBy!.map((share) => share.share)).toEqual([0.5, 0.5]);
  });

  it('stays in starting while EXO starts slowly, then becomes ready', async () => {
    const engine = await engineFor({ double: { startDelayMs: 1_200 } });
    const started = Date.now();
    await engine.start();
    await new Promise((done) => setTimeout(done, 600));
    expect(engine.state.status).toBe('starting');
    await waitForStatus(engine, 'ready');
    expect(Date.now() - started).toBeGreaterThanOrEqual(1_200);
  });

  it('restarts EXO after a crash, with backoff, and serves again', async () => {
    const engine = await engineFor({ double: { crashAfterMs: 300, faultStarts: '1' } });
    const states = recordStates(engine);
    await engine.start();
    await waitForStatus(engine, 'ready');
    const firstPid = engine.pid;
    const restarting = await waitForEngineRestart(engine, states);
    expect(restarting).toMatch(/exited with code 1/);
    await waitForStatus(engine, 'ready');
    expect(engine.pid).not.toBe(firstPid);
    expect(engine.recentLog.some((line) => /restart 1 in 100 ms/.test(line))).toBe(true);
    // The restarted EXO serves chats.
    const chunks = await collect(engine.chat({ messages: PROMPT, max_tokens: 5 }));
    expect(deltaText(chunks)).toBe(expectedText(5));
  });

  it('fails the request EXO crashed in the middle of, then restarts EXO and serves again', async () => {
    const engine = await engineFor({ double: { crashAfterTokens: 5, faultStarts: '1', tokenRate: 200 } });
    await engine.start();
    await waitForStatus(engine, 'ready');
    const received: ChatChunk[] = [];
    const failing = (async () => {
      for await (const chunk of engine.chat({ messages: PROMPT, max_tokens: 50 })) received.push(chunk);
    })();
    await expect(failing).rejects.toThrow(EngineUnavailableError);
    expect(deltaText(received)).toBe(expectedText(5));
    await waitForStatus(engine, 'starting');
    await waitForStatus(engine, 'ready');
    const chunks = await collect(engine.chat({ messages: PROMPT, max_tokens: 50 }));
    expect(deltaText(chunks)).toBe(expectedText(50));
  });

  it('gives up on a crash loop: failed, with the last lines EXO wrote', async () => {
    const engine = await engineFor({ double: { crashAfterMs: 50 } });
    await engine.start();
    const failed = await waitForStatus(engine, 'failed');
    expect(failed.reason).toMatch(/crashed 3 times in a row/);
    expect(failed.reason).toMatch(/exited with code 1/);
    expect(failed.lastLogLines).toContain(
      'RuntimeError: [METAL] Command buffer execution failed: Insufficient Memory',
    );
    expect(
      failed.lastLogLines.some((line) => line.includes('EXO terminated due to unhandled exception')),
    ).toBe(true);
    expect(failed.lastLogLines.every((line) => !line.includes('\x1b'))).toBe(true);
    expect(engine.pid).toBeNull();
    // Backoff doubled between the restarts.
    const restarts = engine.recentLog.flatMap((line) => /restart \d in (\d+) ms/.exec(line)?.[1] ?? []);
    expect(restarts).toEqual(['100', '200']);
  });

  it('kills a hung EXO and its runners after the grace period, leaving no process behind', async () => {
    const graceMs = 800;
    const engine = await engineFor({ double: { hang: true }, init: { stopGraceMs: graceMs } });
    await engine.start();
    await waitForStatus(engine, 'ready');
    const pgid = engine.pid!;
    const info = (await (await fetch(`${engine.apiUrl}/__double/info`)).json()) as { runnerPid: number };
    expect(liveGroupMembers(pgid)).toEqual(expect.arrayContaining([pgid, info.runnerPid]));
    const started = Date.now();
    await engine.stop();
    expect(Date.now() - started).toBeGreaterThanOrEqual(graceMs);
    expect(engine.state.status).toBe('stopped');
    expect(liveGroupMembers(pgid)).toEqual([]);
    expect(isAlive(info.runnerPid)).toBe(false);
    expect(engine.recentLog.some((line) => line.includes('was killed by SIGKILL'))).toBe(true);
  });

  it('treats an EXO that stops answering as hung: kills it after the grace period and restarts it', async () => {
    const engine = await engineFor({
      double: { hang: true, hangApiAfterMs: 600, faultStarts: '1' },
      init: { stopGraceMs: 500 },
    });
    const states = recordStates(engine);
    await engine.start();
    await waitForStatus(engine, 'ready');
    const pgid = engine.pid!;
    const why = await waitForEngineRestart(engine, states);
    expect(why).toMatch(/stopped answering/);
    await waitForStatus(engine, 'ready');
    expect(liveGroupMembers(pgid)).toEqual([]);
    expect(engine.recentLog.some((line) => line.includes('was killed by SIGKILL'))).toBe(true);
  });

  it('stops a healthy EXO with SIGTERM well within the grace period', async () => {
    const engine = await engineFor({ init: { stopGraceMs: 10_000 } });
    await engine.start();
    await waitForStatus(engine, 'ready');
    const pgid = engine.pid!;
    const started = Date.now();
    await engine.stop();
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(liveGroupMembers(pgid)).toEqual([]);
    expect(engine.recentLog.some((line) => line.includes('EXO Shutdown complete'))).toBe(true);
  });

  it('fails a request with malformed SSE clearly and keeps serving the next one', async () => {
    const engine = await engineFor({ double: { malformedSse: 'json', faultRequests: '1', tokenRate: 100 } });
    await engine.start();
    await waitForStatus(engine, 'ready');
    const received: ChatChunk[] = [];
    const failing = (async () => {
      for await (const chunk of engine.chat({ messages: PROMPT, max_tokens: 200 })) received.push(chunk);
    })();
    await expect(failing).rejects.toThrow(EngineProtocolError);
    await expect(failing).rejects.toThrow(/malformed stream event/);
    expect(deltaText(received)).toBe(expectedText(2));
    expect(engine.state.status).toBe('ready');
    const chunks = await collect(engine.chat({ messages: PROMPT, max_tokens: 20 }));
    expect(deltaText(chunks)).toBe(expectedText(20));
    // The broken generation was stopped on EXO's side, not left running.
    const generations = await doubleGenerations(engine);
    expect(generations[0]).toMatchObject({ status: 'cancelled', cancelledBy: 'api' });
    expect(generations[0]!.tokensSent).toBeLessThan(200);
  });

  it('fails a request whose stream ends without [DONE] and keeps serving', async () => {
    const engine = await engineFor({ double: { malformedSse: 'no-done', faultRequests: '1' } });
    await engine.start();
    await waitForStatus(engine, 'ready');
    await expect(collect(engine.chat({ messages: PROMPT, max_tokens: 20 }))).rejects.toThrow(
      EngineUnavailableError,
    );
    const chunks = await collect(engine.chat({ messages: PROMPT, max_tokens: 4 }));
    expect(deltaText(chunks)).toBe(expectedText(4));
  });

  it('refuses an endless SSE line instead of buffering it', async () => {
    const engine = await engineFor({
      double: { malformedSse: 'huge-line', faultRequests: '1' },
      init: { maxEventChars: 64 * 1024 },
    });
    await engine.start();
    await waitForStatus(engine, 'ready');
    await expect(collect(engine.chat({ messages: PROMPT, max_tokens: 20 }))).rejects.toThrow(
      /longer than 65536 characters/,
    );
    expect(engine.state.status).toBe('ready');
  });

  it('cancels a generation through /v1/cancel when the caller cancels', async () => {
    const engine = await engineFor({ double: { tokenRate: 20 } });
    await engine.start();
    await waitForStatus(engine, 'ready');
    const stream = engine.chat({ messages: PROMPT, max_tokens: 1_000 });
    let deltas = 0;
    await expect(
      (async () => {
        for await (const chunk of stream) {
          if (chunk.type === 'delta') deltas += 1;
          if (deltas === 3) await stream.cancel();
        }
      })(),
    ).rejects.toThrow(/cancelled/);
    const [generation] = await doubleGenerations(engine);
    expect(generation).toMatchObject({ status: 'cancelled', cancelledBy: 'api' });
    const sent = generation!.tokensSent;
    expect(sent).toBeLessThan(10);
    await new Promise((done) => setTimeout(done, 300));
    expect((await doubleGenerations(engine))[0]!.tokensSent).toBe(sent);
  });

  it('cancels a generation when the caller aborts its signal or leaves the loop', async () => {
    const engine = await engineFor({ double: { tokenRate: 20 } });
    await engine.start();
    await waitForStatus(engine, 'ready');
    const controller = new AbortController();
    const aborted = (async () => {
      for await (const chunk of engine.chat(
        { messages: PROMPT, max_tokens: 1_000 },
        { signal: controller.signal },
      )) {
        if (chunk.type === 'delta') controller.abort(new Error('user closed the chat'));
      }
    })();
    await expect(aborted).rejects.toThrow('user closed the chat');
    for await (const chunk of engine.chat({ messages: PROMPT, max_tokens: 1_000 })) {
      if (chunk.type === 'delta') break;
    }
    const generations = await doubleGenerations(engine);
    expect(generations.map((generation) => generation.cancelledBy)).toEqual(['api', 'api']);
  });

  it('streams 10,000 tokens with bounded buffering', async () => {
    // 4 KiB is far below the stream's 3 MB: any buffering that grows with the stream would throw.
    const engine = await engineFor({ init: { maxEventChars: 4 * 1024 } });
    await engine.start();
    await waitForStatus(engine, 'ready');
    let deltas = 0;
    let usage: ChatUsageChunk | null = null;
    for await (const chunk of engine.chat({ messages: PROMPT, max_tokens: 10_000 })) {
      if (chunk.type === 'delta') deltas += 1;
      else usage = chunk;
    }
    expect(deltas).toBe(10_000);
    expect(usage!.usage.completionTokens).toBe(10_000);
  });

  it('refuses chats until ready', async () => {
    const engine = await engineFor({ double: { startDelayMs: 2_000 } });
    expect(() => engine.chat({ messages: PROMPT })).toThrow(EngineNotReadyError);
    await engine.start();
    expect(() => engine.chat({ messages: PROMPT })).toThrow(/not ready \(it is starting\)/);
  });
});

describe('ExoEngine when EXO cannot serve the model', () => {
  it('tries afresh when started again after failing', async () => {
    const engine = await engineFor({ double: { refusePlacement: true, faultStarts: '1' } });
    await engine.start();
    await waitForStatus(engine, 'failed');
    await engine.start();
    await waitForStatus(engine, 'ready');
  });

  it('fails with EXO’s reason when no placement fits', async () => {
    const engine = await engineFor({ double: { refusePlacement: true } });
    await engine.start();
    const failed = await waitForStatus(engine, 'failed');
    expect(failed.reason).toMatch(/EXO cannot place .*No cycles found with sufficient memory/);
    expect(engine.pid).toBeNull();
  });

  it('fails when EXO acknowledges a placement but never creates the instance', async () => {
    const engine = await engineFor({ double: { dropPlacement: true }, init: { placementTimeoutMs: 500 } });
    await engine.start();
    const failed = await waitForStatus(engine, 'failed');
    expect(failed.reason).toMatch(/did not create it within 1 s/);
    expect(failed.lastLogLines.some((line) => line.includes('Error in command processor'))).toBe(true);
  });

  it('fails with the runner’s error message when a runner fails to load', async () => {
    const engine = await engineFor({ double: { runnerFail: 'Out of memory loading layer 9' } });
    await engine.start();
    const failed = await waitForStatus(engine, 'failed');
    expect(failed.reason).toBe(`an EXO runner failed to load ${SMALL_MODEL}: Out of memory loading layer 9`);
  });

  it('reports download progress before loading', async () => {
    const engine = await engineFor({ double: { downloadMs: 500 } });
    const states = recordStates(engine);
    await engine.start();
    await waitForStatus(engine, 'ready');
    const downloading = states.flatMap((state) =>
      state.status === 'loading' && state.phase === 'downloading' ? [state.progress] : [],
    );
    expect(downloading.length).toBeGreaterThan(1);
    expect(Math.max(...downloading)).toBeGreaterThan(0);
  });
});

/** Waits for the `starting` state a restart announces and returns its reason. */
async function waitForEngineRestart(
  engine: ExoEngine,
  states: readonly { status: string }[],
): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const restarting = states.find(
      (state): state is { status: 'starting'; detail: string } =>
        state.status === 'starting' && 'detail' in state && String(state.detail).startsWith('restarting'),
    );
    if (restarting) return restarting.detail;
    if (Date.now() > deadline) throw new Error(`no restart; states: ${JSON.stringify(states)}`);
    await new Promise((done) => setTimeout(done, 20));
  }
}
