// Engine client overhead: the same EXO double stream read through the EXO engine (SSE parsing, validation,
// chunk mapping, attribution lookup) and by a bare HTTP read that only finds the token lines. One process,
// alternating order, same prompt and length.
// Usage: npm run bench:engine -- [--tokens 10000] [--runs 8] [--rate 0]   (rate 0: as fast as the double can)
// Last line: one JSON object with ratioTokensPerSec (engine / bare) and ttftOverheadMs (engine − bare).
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { ExoEngine } from '../src-main/node/engine/exo/exo-engine.ts';
import { startAttachedDouble } from './attached-exo-double.ts';
import { machineDescription, median } from './bench-stats.ts';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '10000' },
    runs: { type: 'string', default: '8' },
    rate: { type: 'string', default: '0' },
  },
});
const TOKENS = Number(values.tokens);
const RUNS = Number(values.runs);
const RATE = Number(values.rate);
const MODEL = 'mlx-community/Llama-3.2-1B-Instruct-4bit';
const MESSAGES = [{ role: 'user' as const, content: 'Write a long story about a peer-to-peer network.' }];

interface Run {
  readonly tokens: number;
  readonly ttftMs: number;
  readonly totalMs: number;
  readonly cpuMs: number;
}

function cpuMs(since: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
}

/** Reads the stream as a minimal client would: bytes to lines, count `data: {` lines, stop at [DONE]. */
async function bareRun(url: string): Promise<Run> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const response = await fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: MODEL, messages: MESSAGES, stream: true, max_tokens: TOKENS }),
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let pending = '';
  let tokens = 0;
  let ttftMs = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    pending += decoder.decode(value, { stream: true });
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('data: {')) continue;
      if (tokens === 0) ttftMs = performance.now() - started;
      tokens += 1;
    }
  }
  return { tokens, ttftMs, totalMs: performance.now() - started, cpuMs: cpuMs(cpu) };
}

async function engineRun(engine: ExoEngine): Promise<Run> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let tokens = 0;
  let ttftMs = 0;
  let usageTokens = 0;
  for await (const chunk of engine.chat({ messages: MESSAGES, max_tokens: TOKENS })) {
    if (chunk.type === 'delta') {
      if (tokens === 0) ttftMs = performance.now() - started;
      tokens += 1;
    } else {
      usageTokens = chunk.usage.completionTokens;
    }
  }
  if (usageTokens !== tokens) throw new Error(`usage says ${usageTokens} tokens, ${tokens} arrived`);
  return { tokens, ttftMs, totalMs: performance.now() - started, cpuMs: cpuMs(cpu) };
}

function summarise(runs: readonly Run[]) {
  return {
    tokensPerSec: Math.round(median(runs.map((run) => (run.tokens / run.totalMs) * 1000))),
    ttftMs: Number(median(runs.map((run) => run.ttftMs)).toFixed(2)),
    clientCpuMsPer1kTokens: Number(median(runs.map((run) => (run.cpuMs / run.tokens) * 1000)).toFixed(1)),
  };
}

const { url, engine, stop } = await startAttachedDouble(MODEL, RATE);
try {
  // Warm both paths (JIT, connection pool) before measuring.
  await bareRun(url);
  await engineRun(engine);
  const bare: Run[] = [];
  const client: Run[] = [];
  for (let run = 0; run < RUNS; run += 1) {
    const order = run % 2 === 0 ? ['bare', 'engine'] : ['engine', 'bare'];
    for (const which of order) {
      const result = which === 'bare' ? await bareRun(url) : await engineRun(engine);
      (which === 'bare' ? bare : client).push(result);
      console.log(
        `run ${run + 1} ${which.padEnd(6)} ${result.tokens} tokens in ${result.totalMs.toFixed(0)} ms, ` +
          `first after ${result.ttftMs.toFixed(2)} ms, ${result.cpuMs.toFixed(0)} ms CPU in this process`,
      );
    }
  }
  const engineSummary = summarise(client);
  const bareSummary = summarise(bare);
  console.log(
    JSON.stringify({
      bench: 'engine',
      date: new Date().toISOString(),
      machine: machineDescription(),
      tokens: TOKENS,
      runs: RUNS,
      tokenRate: RATE,
      engine: engineSummary,
      bare: bareSummary,
      ratioTokensPerSec: Number((engineSummary.tokensPerSec / bareSummary.tokensPerSec).toFixed(3)),
      ttftOverheadMs: Number((engineSummary.ttftMs - bareSummary.ttftMs).toFixed(2)),
    }),
  );
} finally {
  await stop();
}
