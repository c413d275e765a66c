// Memory of an idle node (issue 17 item 4): one real `opengateway-node start` process (no engine, not
// serving a tier) on 127.0.0.1 with 50 peers connected to it (bench/footprint-node.ts). The node is started
// the way a user starts it: `node scripts/opengateway-node.js` with none of the memory flags or environment
// (as `npx opengateway-node` from a plain shell), so the launcher's re-execution with them is part of what is
// measured. It runs `--runs` times, one after the other in this process; the figures are medians over the
// runs, each run's RSS the median of `--samples` kernel readings a second apart after `--idle-s` seconds
// with all peers connected, before anything forces a collection (as `ps` shows it). First, once, the same
// node from the .ts sources with node's defaults: how it ran before issue 17, for scale.
// Usage: npm run bench:footprint [-- --peers 50 --idle-s 20 --runs 3 --samples 5 --no-reference]
// Last line: one JSON object { peers, rssMb, heapUsedMb, externalMb, ... } (the medians of the launcher's runs).
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureNodeBuilt, NODE_SOURCE } from '../scripts/node-build.js';
import { NODE_MEMORY_ENV } from '../src-main/cli/runtime-flags.ts';
import { measureNode, type Measured, type NodeLaunch } from './footprint-node.ts';

const { values } = parseArgs({
  options: {
    peers: { type: 'string', default: '50' },
    'idle-s': { type: 'string', default: '20' },
    runs: { type: 'string', default: '3' },
    samples: { type: 'string', default: '5' },
    'no-reference': { type: 'boolean', default: false },
  },
});
const options = {
  peers: Number(values.peers),
  idleMs: Number(values['idle-s']) * 1000,
  samples: Number(values.samples),
};
const RUNS = Number(values.runs);
const GOAL_MB = 120;
const LAUNCHER = fileURLToPath(new URL('../scripts/opengateway-node.js', import.meta.url));

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const load = () => loadavg()[0]!.toFixed(1);

// Neither the launch settings nor a parent's leftovers: what a plain shell gives a process.
const withoutSettings = Object.fromEntries(
  [...Object.keys(NODE_MEMORY_ENV), 'OPENGATEWAY_NODE_RELAUNCHED'].map((name) => [name, undefined]),
);
const LAUNCHED: NodeLaunch = {
  name: '`opengateway-node` as a user starts it (re-executes with the memory settings)',
  args: [LAUNCHER],
  env: withoutSettings,
};
const REFERENCE: NodeLaunch = {
  name: '.ts sources, node defaults (before issue 17)',
  args: ['--disable-warning=ExperimentalWarning', NODE_SOURCE],
  env: withoutSettings,
};

console.log(
  `footprint bench: ${cpus()[0]?.model ?? 'unknown cpu'} × ${cpus().length}, node ${process.version}, ` +
    `${new Date().toISOString()}, load average ${load()}`,
);
const problem = ensureNodeBuilt();
if (problem !== null) throw new Error(`the node bundle could not be built: ${problem}`);

const rows: [string, Measured, string][] = [];
if (!values['no-reference']) rows.push([REFERENCE.name, await measureNode(REFERENCE, options), load()]);
const runs: Measured[] = [];
for (let run = 0; run < RUNS; run++) {
  const measured = await measureNode(LAUNCHED, options);
  runs.push(measured);
  rows.push([`${LAUNCHED.name}, run ${run + 1}`, measured, load()]);
}

console.log(
  '| node | alone RSS MB | idle RSS MB (median of samples) | RSS after 2 GCs MB | heap used MB | heap total MB | external MB | load |',
);
console.log('|---|---|---|---|---|---|---|---|');
for (const [name, m, loadThen] of rows)
  console.log(
    `| ${name}, ${m.connected} peers | ${mb(m.alone.rss)} | ${mb(m.idle.rss)} (anon ${mb(m.idle.rssAnon)}, ` +
      `file ${mb(m.idle.rssFile)}) | ${mb(m.afterGc.rss)} | ${mb(m.probe.heapUsed)} | ${mb(m.probe.heapTotal)} | ` +
      `${mb(m.probe.external)} | ${loadThen} |`,
  );
const of = (pick: (m: Measured) => number) => mb(median(runs.map(pick)));
const rssMb = of((m) => m.idle.rss);
const reference = rows.find(([name]) => name === REFERENCE.name)?.[1];
console.log(
  `idle node with ${Math.min(...runs.map((m) => m.connected))} peers: ${rssMb} MB RSS, median of ${RUNS} runs ` +
    `(${runs.map((m) => mb(m.idle.rss)).join(', ')}; goal ≤ ${GOAL_MB} MB)` +
    (reference ? `; before issue 17: ${mb(reference.idle.rss)} MB` : '') +
    `; load average ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
);
console.log(
  JSON.stringify({
    peers: Math.min(...runs.map((m) => m.connected)),
    rssMb,
    heapUsedMb: of((m) => m.probe.heapUsed),
    externalMb: of((m) => m.probe.external),
    heapTotalMb: of((m) => m.probe.heapTotal),
    rssAfterGcMb: of((m) => m.afterGc.rss),
    aloneRssMb: of((m) => m.alone.rss),
    runsRssMb: runs.map((m) => mb(m.idle.rss)),
    referenceRssMb: reference ? mb(reference.idle.rss) : null,
    goalRssMb: GOAL_MB,
    loadAverage: Math.round(loadavg()[0]! * 10) / 10,
  }),
);
