// The built-in engine, routed against direct, on real llama.cpp: a request routed requester node → worker node
// → the worker's BuiltinEngine (llama.cpp in its host child process), against the same engine's chat() called
// directly, in one process run, alternating order. Two generated models: a Qwen2.5-0.5B-shaped Q4_0 file
// (realistic CPU speed, ~65 tokens/s on one thread of our build machines) and the tiny one (thousands of
// tokens/s: the CPU-bound worst case for the routing layer, which shares the cores with llama.cpp).
// Usage: node bench/builtin-engine.ts [--shapes qwen-0.5b-q4,tiny] [--runs 4] [--ttft-runs 20] [--threads 1]
// Last line: one JSON object; per shape ratioTokensPerSec (routed / direct) and ttftOverheadMs (median, routed − direct).
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { BuiltinEngine } from '../src-main/node/engine/builtin/builtin-engine.ts';
import { waitForEngineState, type EngineState } from '../src-main/node/engine/engine.ts';
import type { ChatChunk } from '../src-shared/protocol/chat.ts';
import { isTestModelShapeName, type TestModelShapeName } from '../test/model-gen/model-shapes.ts';
import { generateTestModelFile } from '../test/model-gen/test-model-file.ts';
import { benchPrompt, machineDescription, median, timeStream, type Run } from './bench-stats.ts';
import { routedPair, type RoutedPair } from './routed-pair.ts';

const { values } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'qwen-0.5b-q4,tiny' },
    runs: { type: 'string', default: '4' },
    'ttft-runs': { type: 'string', default: '20' },
    threads: { type: 'string', default: '1' },
  },
});
const RUNS = Number(values.runs);
const TTFT_RUNS = Number(values['ttft-runs']);
const THREADS = Number(values.threads);
const SHAPES = values.shapes.split(',').filter(isTestModelShapeName);
/** Tokens per throughput run: a few seconds of generation for each model. */
const TOKENS: Record<TestModelShapeName, number> = { 'qwen-0.5b-q4': 128, tiny: 1500 };

async function measure(stream: AsyncIterable<ChatChunk>): Promise<Run> {
  const { usageTokens: tokens, ttftMs, totalMs } = await timeStream(stream);
  if (tokens <= 0) throw new Error('the stream ended without usage');
  return { tokens, ttftMs, totalMs };
}

async function benchShape(shape: TestModelShapeName, dir: string) {
  const written = performance.now();
  const model = await generateTestModelFile(dir, shape);
  const generateMs = performance.now() - written;
  const engine = new BuiltinEngine({ model, threads: THREADS, gpu: false, sequences: 2 });
  const loadStarted = performance.now();
  await engine.start();
  await waitForEngineState(engine, (s: EngineState): s is EngineState => s.status === 'ready', {
    signal: AbortSignal.timeout(120_000),
  });
  const loadMs = performance.now() - loadStarted;
  let pair: RoutedPair | undefined;
  try {
    pair = await routedPair(engine, 4);
    const { requester } = pair;
    const paths = {
      direct: (n: number) => measure(engine.chat(benchPrompt(n))),
      routed: (n: number) => measure(requester.chat('model-a', benchPrompt(n))),
    };
    const order = (run: number) =>
      run % 2 === 0 ? (['direct', 'routed'] as const) : (['routed', 'direct'] as const);
    for (let i = 0; i < 3; i += 1) for (const which of order(i)) await paths[which](16);
    const ttft = { direct: [] as number[], routed: [] as number[] };
    for (let run = 0; run < TTFT_RUNS; run += 1) {
      for (const which of order(run)) ttft[which].push((await paths[which](1)).ttftMs);
    }
    const rate = { direct: [] as number[], routed: [] as number[] };
    for (let run = 0; run < RUNS; run += 1) {
      for (const which of order(run)) {
        const result = await paths[which](TOKENS[shape]);
        rate[which].push((result.tokens / result.totalMs) * 1000);
        console.log(
          `${shape} run ${run + 1} ${which.padEnd(6)} ${result.tokens} tokens in ${result.totalMs.toFixed(0)} ms ` +
            `(${((result.tokens / result.totalMs) * 1000).toFixed(1)} tokens/s)`,
        );
      }
    }
    const directTtft = median(ttft.direct);
    const routedTtft = median(ttft.routed);
    return {
      shape,
      modelBytes: (await stat(model.path)).size,
      generateMs: Math.round(generateMs),
      loadMs: Math.round(loadMs),
      tokens: TOKENS[shape],
      direct: { ttftMs: Number(directTtft.toFixed(2)), tokensPerSec: Number(median(rate.direct).toFixed(1)) },
      routed: { ttftMs: Number(routedTtft.toFixed(2)), tokensPerSec: Number(median(rate.routed).toFixed(1)) },
      ttftOverheadMs: Number((routedTtft - directTtft).toFixed(2)),
      ratioTokensPerSec: Number((median(rate.routed) / median(rate.direct)).toFixed(3)),
      // Each run's routed and direct requests ran back to back: the median of their ratios cancels the load
      // drifting between runs on a shared machine (the ratio of medians does not).
      ratioTokensPerSecPaired: Number(
        median(rate.routed.map((routed, run) => routed / rate.direct[run]!)).toFixed(3),
      ),
    };
  } finally {
    await pair?.stop();
    await engine.stop();
  }
}

const dir = await mkdtemp(join(tmpdir(), 'og-bench-builtin-'));
try {
  const results = [];
  for (const shape of SHAPES) {
    results.push(await benchShape(shape, dir));
  }
  console.log(
    JSON.stringify({
      bench: 'engine-builtin',
      date: new Date().toISOString(),
      machine: machineDescription(),
      loadAverage1m: Number(loadavg()[0]!.toFixed(2)),
      threads: THREADS,
      runs: RUNS,
      ttftRuns: TTFT_RUNS,
      results,
    }),
  );
} finally {
  await rm(dir, { recursive: true, force: true });
}
