// What every benchmark script reports the same way: medians and percentiles of its runs, the machine it ran
// on, and the timing of one chat stream (first token, total, tokens counted and reported).
import { cpus, totalmem } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { ChatChunk, ChatRequest } from '../src-shared/protocol/chat.ts';

/** The median of `xs` (the mean of the middle two for an even count). */
export function median(xs: readonly number[]): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** The nearest-rank `p`th percentile of `xs`. */
export function percentile(xs: readonly number[], p: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Cores, CPU model, memory and Node version: the `machine` field of a benchmark's JSON line. */
export function machineDescription(): string {
  return `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}

/** The routing benchmarks' request: one fixed prompt, `maxTokens` long. */
export function benchPrompt(maxTokens: number): ChatRequest {
  return {
    messages: [{ role: 'user', content: 'Tell me about peer-to-peer networks.' }],
    max_tokens: maxTokens,
  };
}

/** One measured request: the tokens it counts, its time to first token and its whole time. */
export interface Run {
  readonly tokens: number;
  readonly ttftMs: number;
  readonly totalMs: number;
}

/** One chat stream, timed: deltas that arrived, the completion tokens its usage chunk reported (-1: none). */
export interface TimedStream {
  readonly deltas: number;
  readonly usageTokens: number;
  readonly ttftMs: number;
  readonly totalMs: number;
}

/** Reads `stream` to its end, timing the first delta and the whole. */
export async function timeStream(stream: AsyncIterable<ChatChunk>): Promise<TimedStream> {
  const started = performance.now();
  let deltas = 0;
  let ttftMs = 0;
  let usageTokens = -1;
  for await (const chunk of stream) {
    if (chunk.type === 'delta') {
      if (deltas === 0) ttftMs = performance.now() - started;
      deltas += 1;
    } else usageTokens = chunk.usage.completionTokens;
  }
  return { deltas, usageTokens, ttftMs, totalMs: performance.now() - started };
}
