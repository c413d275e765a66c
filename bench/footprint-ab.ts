// A/B comparison of ways to start an idle node (issue 17 item 4), for deciding whether a footprint cut is
// worth keeping. On a loaded machine one node's RSS swings by ±10 MB between runs, so a single
// `npm run bench:footprint` before and after a change says little; this runs the variants alternately, round
// after round, in one process (bench/footprint-node.ts measures each: the same node, 50 peers, idle), and
// prints each run and the median per variant. The variants come from a JSON file:
//   { "rounds": 3, "peers": 50, "idleS": 20,
//     "variants": [ { "name": "…", "args": ["scripts/opengateway-node.js"], "env": { "NAME": "value" } } ] }
// `args` go to `node` before `start …` (paths relative to the repository); `env` is added to this process's
// (null removes a variable). Memory settings are not added: give them in `args`/`env`, or start the launcher.
// Usage: npm run bench:footprint-ab -- SPEC.json [--smaps DIR]   (--smaps: each idle node's /proc/PID/smaps
// saved in DIR, for finding where the difference is)
import { readFile, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { measureNode, type NodeLaunch } from './footprint-node.ts';

interface AbSpec {
  readonly rounds?: number;
  readonly peers?: number;
  readonly idleS?: number;
  readonly variants: readonly {
    readonly name: string;
    readonly args: readonly string[];
    readonly env?: Readonly<Record<string, string | null>>;
  }[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { smaps: { type: 'string' } },
});
if (positionals.length !== 1) throw new Error('usage: node bench/footprint-ab.ts SPEC.json [--smaps DIR]');
const spec = JSON.parse(readFileSync(positionals[0]!, 'utf8')) as AbSpec;
const ROOT = resolve(import.meta.dirname, '..');
const launches: NodeLaunch[] = spec.variants.map((variant) => ({
  name: variant.name,
  args: variant.args.map((arg) => (arg.startsWith('-') ? arg : resolve(ROOT, arg))),
  env: Object.fromEntries(
    Object.entries(variant.env ?? {}).map(([name, value]) => [name, value ?? undefined]),
  ),
}));

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;
const median = (values: readonly number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const rssByVariant = new Map<string, number[]>(launches.map((launch) => [launch.name, []]));
console.log(`footprint A/B: ${new Date().toISOString()}, load average ${loadavg()[0]!.toFixed(1)}`);
for (let round = 0; round < (spec.rounds ?? 3); round++)
  for (const launch of launches) {
    const measured = await measureNode(launch, {
      peers: spec.peers ?? 50,
      idleMs: (spec.idleS ?? 20) * 1000,
      samples: 5,
      inspect: values.smaps
        ? async (pid) =>
            writeFile(
              join(values.smaps!, `smaps-${launch.name.replace(/\W+/g, '_')}-${round}.txt`),
              await readFile(`/proc/${pid}/smaps`),
            )
        : undefined,
    });
    rssByVariant.get(launch.name)!.push(measured.idle.rss);
    console.log(
      `${launch.name}, round ${round + 1}: idle RSS ${mb(measured.idle.rss)} MB (anon ${mb(measured.idle.rssAnon)}, ` +
        `file ${mb(measured.idle.rssFile)}), alone ${mb(measured.alone.rss)}, after GC ${mb(measured.afterGc.rss)}, ` +
        `heap used ${mb(measured.probe.heapUsed)}, heap total ${mb(measured.probe.heapTotal)}, external ` +
        `${mb(measured.probe.external)}, ${measured.connected} peers, load ${loadavg()[0]!.toFixed(1)}`,
    );
  }
for (const [name, rss] of rssByVariant)
  console.log(`${name}: median idle RSS ${mb(median(rss))} MB (${rss.map(mb).join(', ')})`);
