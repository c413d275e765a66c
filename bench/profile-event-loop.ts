// How long the resource scan stalls the node's event loop: the scan run in a worker thread (what the node does)
// against the same scan on the event loop itself (the baseline), in one process.
// Usage: npm run bench:profile [-- --runs N]
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { tmpdir } from 'node:os';
import { parseArgs } from 'node:util';
import { readRawHardware } from '../src-main/node/profile/read-raw-hardware.ts';
import { readRawHardwareOffThread } from '../src-main/node/profile/scan-off-thread.ts';

const { values } = parseArgs({ options: { runs: { type: 'string', default: '10' } } });
const runs = Math.max(1, Number(values.runs));

async function measure(scan: () => Promise<unknown>) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  const worstPerRun: number[] = [];
  let totalMs = 0;
  for (let i = 0; i < runs; i += 1) {
    histogram.reset();
    histogram.enable();
    const started = performance.now();
    await scan();
    totalMs += performance.now() - started;
    histogram.disable();
    worstPerRun.push(histogram.max / 1e6);
  }
  worstPerRun.sort((a, b) => a - b);
  const median = worstPerRun[Math.floor(worstPerRun.length / 2)] ?? 0;
  return {
    // Per scan, the longest the loop waited; the median of those is robust to other load on the machine.
    medianMaxLoopDelayMs: Number(median.toFixed(1)),
    worstLoopDelayMs: Number((worstPerRun.at(-1) ?? 0).toFixed(1)),
    meanScanMs: Number((totalMs / runs).toFixed(1)),
  };
}

const onLoop = await measure(() => readRawHardware(tmpdir()));
const offThread = await measure(() => readRawHardwareOffThread(tmpdir()));
console.log(
  JSON.stringify({
    bench: 'profile-event-loop',
    date: new Date().toISOString(),
    machine: `${process.platform} ${process.arch}, node ${process.version}`,
    runs,
    onLoop,
    offThread,
    ratioMedianMaxLoopDelay: Number(
      (offThread.medianMaxLoopDelayMs / Math.max(onLoop.medianMaxLoopDelayMs, 0.001)).toFixed(2),
    ),
  }),
);
