// Routing overhead: a request routed requester node → worker node → engine double, against the same engine
// double called directly through the engine client, in one process run (both nodes are real libp2p nodes on
// 127.0.0.1; the double is a real child process). Alternating order, same prompt and length.
// A third path is the same request paid for (quote, RESERVE committed to SQLite, acks, receipt, SETTLE,
// CREDIT) between two nodes that keep real ledgers, to another worker node on the same double.
// Usage: npm run bench:routing -- [--tokens 1000] [--runs 4] [--ttft-runs 40] [--concurrent 200] [--rate 200]
// Last line: one JSON object with ttftOverheadMs (median, routed − direct), ratioTokensPerSec (routed / direct)
// and the p99 latency of `--concurrent` simultaneous streams, routed and direct; paid.* the same for the paid
// path (its overheads against direct as well).
import { parseArgs } from 'node:util';
import type { ChatChunk } from '../src-shared/protocol/chat.ts';
import { startAttachedDouble } from './attached-exo-double.ts';
import { benchPrompt, machineDescription, median, percentile, timeStream, type Run } from './bench-stats.ts';
import { paidPair } from './paid-pair.ts';
import { routedPair } from './routed-pair.ts';

const { values } = parseArgs({
  options: {
    tokens: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '4' },
    'ttft-runs': { type: 'string', default: '40' },
    concurrent: { type: 'string', default: '200' },
    rate: { type: 'string', default: '200' },
  },
});
const TOKENS = Number(values.tokens);
const RUNS = Number(values.runs);
const TTFT_RUNS = Number(values['ttft-runs']);
const CONCURRENT = Number(values.concurrent);
/** The double's tokens per second (200: a fast real engine); 0 streams as fast as it can, a CPU-bound worst case. */
const RATE = Number(values.rate);
const MODEL = 'mlx-community/Llama-3.2-1B-Instruct-4bit';

async function measure(stream: AsyncIterable<ChatChunk>): Promise<Run> {
  const { deltas: tokens, usageTokens: usage, ttftMs, totalMs } = await timeStream(stream);
  if (usage !== tokens) throw new Error(`usage says ${usage} tokens, ${tokens} arrived`);
  return { tokens, ttftMs, totalMs };
}

const { engine, stop } = await startAttachedDouble(MODEL, RATE);
const cleanups: (() => Promise<void>)[] = [];
const pair = await routedPair(engine, CONCURRENT + 8);
try {
  const { requester } = pair;
  const direct = (maxTokens: number) => measure(engine.chat(benchPrompt(maxTokens)));
  const routed = (maxTokens: number) => measure(requester.chat('model-a', benchPrompt(maxTokens)));
  const paidPath = await paidPair(engine, CONCURRENT + 8);
  cleanups.push(() => paidPath.stop());
  // A paid request ends for its user when the reply has arrived and its SETTLE is committed; the worker's
  // CREDIT follows. Each measurement waits for that, so no path runs while another's payment is finishing.
  const paid = async (maxTokens: number) => {
    const run = await measure(paidPath.requester.chat('model-a', benchPrompt(maxTokens)));
    await paidPath.settled();
    return run;
  };
  const paths = { direct, routed, paid } as const;
  type PathName = keyof typeof paths;
  // Rotate the order every run, so no path always runs first or last.
  const orderOf = (run: number): PathName[] => {
    const all: PathName[] = ['direct', 'routed', 'paid'];
    return [...all.slice(run % 3), ...all.slice(0, run % 3)];
  };

  // Warm every path (JIT, connections, SQLite) before measuring.
  for (let i = 0; i < 5; i += 1) for (const which of orderOf(i)) await paths[which](64);
  const ttft = { direct: [] as number[], routed: [] as number[], paid: [] as number[] };
  for (let run = 0; run < TTFT_RUNS; run += 1) {
    for (const which of orderOf(run)) ttft[which].push((await paths[which](8)).ttftMs);
  }
  // Said as soon as measured: on a loaded machine the 200-stream phase below may fail (a worker's RESERVE
  // timeout, the double's sockets), and these figures still count.
  console.log(
    `TTFT median of ${TTFT_RUNS}: direct ${median(ttft.direct).toFixed(2)} ms, routed ${median(ttft.routed).toFixed(2)} ms, paid ${median(ttft.paid).toFixed(2)} ms (paid − routed ${(median(ttft.paid) - median(ttft.routed)).toFixed(2)} ms)`,
  );
  const rate = { direct: [] as number[], routed: [] as number[], paid: [] as number[] };
  for (let run = 0; run < RUNS; run += 1) {
    for (const which of orderOf(run)) {
      const result = await paths[which](TOKENS);
      rate[which].push((result.tokens / result.totalMs) * 1000);
      console.log(
        `run ${run + 1} ${which.padEnd(6)} ${result.tokens} tokens in ${result.totalMs.toFixed(0)} ms`,
      );
    }
  }
  console.log(
    `tokens/s median of ${RUNS}: direct ${median(rate.direct).toFixed(1)}, routed ${median(rate.routed).toFixed(1)}, paid ${median(rate.paid).toFixed(1)} (paid / routed ${(median(rate.paid) / median(rate.routed)).toFixed(3)})`,
  );
  const concurrent = async (path: (n: number) => Promise<Run>) => {
    const runs = await Promise.all(Array.from({ length: CONCURRENT }, () => path(32)));
    const totals = runs.map((run) => run.totalMs);
    return { p50Ms: Number(median(totals).toFixed(1)), p99Ms: Number(percentile(totals, 99).toFixed(1)) };
  };
  const concurrentDirect = await concurrent(direct);
  const concurrentRouted = await concurrent(routed);
  const concurrentPaid = await concurrent((n) => measure(paidPath.requester.chat('model-a', benchPrompt(n))));
  await paidPath.settled();
  const directTtft = median(ttft.direct);
  const routedTtft = median(ttft.routed);
  const paidTtft = median(ttft.paid);
  // Issue 17's acceptance: paying costs at most 1.5 ms of TTFT over routed free, p99 of the concurrent paid
  // streams at most 1.25× routed free, tokens/s at least 0.99 of routed free.
  const acceptance = {
    paidTtftOverFreeMs: Number((paidTtft - routedTtft).toFixed(2)),
    paidP99OverFree: Number((concurrentPaid.p99Ms / concurrentRouted.p99Ms).toFixed(3)),
    paidTokensPerSecOverFree: Number((median(rate.paid) / median(rate.routed)).toFixed(3)),
  };
  console.log('| acceptance (issue 17) | measured | goal |');
  console.log('|---|---|---|');
  console.log(`| paid TTFT − routed free TTFT | ${acceptance.paidTtftOverFreeMs} ms | ≤ 1.5 ms |`);
  console.log(
    `| p99 of ${CONCURRENT} paid streams / routed free | ${acceptance.paidP99OverFree}× (${concurrentPaid.p99Ms} / ${concurrentRouted.p99Ms} ms) | ≤ 1.25× |`,
  );
  console.log(`| paid tokens/s / routed free | ${acceptance.paidTokensPerSecOverFree} | ≥ 0.99 |`);
  console.log(
    JSON.stringify({
      acceptance,
      bench: 'routing',
      date: new Date().toISOString(),
      machine: machineDescription(),
      tokens: TOKENS,
      tokenRate: RATE,
      runs: RUNS,
      ttftRuns: TTFT_RUNS,
      direct: { ttftMs: Number(directTtft.toFixed(2)), tokensPerSec: Math.round(median(rate.direct)) },
      routed: { ttftMs: Number(routedTtft.toFixed(2)), tokensPerSec: Math.round(median(rate.routed)) },
      ttftOverheadMs: Number((routedTtft - directTtft).toFixed(2)),
      ratioTokensPerSec: Number((median(rate.routed) / median(rate.direct)).toFixed(3)),
      concurrentStreams: CONCURRENT,
      concurrentDirect,
      concurrentRouted,
      p99LatencyMs: concurrentRouted.p99Ms,
      paid: {
        ttftMs: Number(paidTtft.toFixed(2)),
        tokensPerSec: Math.round(median(rate.paid)),
        ttftOverheadMs: Number((paidTtft - directTtft).toFixed(2)),
        ttftOverPaidFreeMs: Number((paidTtft - routedTtft).toFixed(2)),
        ratioTokensPerSec: Number((median(rate.paid) / median(rate.direct)).toFixed(3)),
        concurrent: concurrentPaid,
        requesterBlocks: paidPath.requesterBlocks(),
      },
    }),
  );
} finally {
  for (const cleanup of cleanups) await cleanup();
  await pair.stop();
  await stop();
}
