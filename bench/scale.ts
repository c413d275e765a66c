// Membership at internet scale, in the simulator (issue 16): N nodes run the node's own membership modules
// (sampled views, SWIM probes, rumors, shards) over simulated links (latency 10–80 ms one way, jitter, loss)
// on a virtual clock. Per size it measures, in a steady window, messages/bytes/CPU per node per second (CPU is
// this process's, divided by N: the simulator's own overhead is included), then over 10 joins the p99 of the
// time until 99 % of the live members have heard the newcomer's join rumor (`joinP99Ms`, the issue's
// definition) and of the time until the newcomer is usable (half its view verified, held by two others:
// `joinSampledP99Ms`), the time until no survivor holds a crashed member any more, and false deaths.
// Usage: npm run bench:scale -- --nodes 1000,3000,10000 [--interval-ms 5000] [--loss 0.01] [--json]
//        [--svg bench-scale.svg] [--routing-nodes 1000]
// With --json, one JSON line per size (and one for the routing experiment).
import { cpus, loadavg } from 'node:os';
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SimulatedCluster } from '../test/sim/simulated-cluster.ts';
import { routingExperiment } from './scale-routing.ts';
import { costPlotSvg } from './scale-plot.ts';
import { DEFAULT_ACTIVE_VIEW_SIZE } from '../src-main/node/membership/membership-defaults.ts';

const { values } = parseArgs({
  options: {
    nodes: { type: 'string', default: '1000,3000,10000' },
    'interval-ms': { type: 'string', default: '5000' },
    loss: { type: 'string', default: '0.01' },
    seed: { type: 'string', default: '7' },
    json: { type: 'boolean', default: false },
    svg: { type: 'string' },
    'routing-nodes': { type: 'string', default: '1000' },
  },
});
const SIZES = values.nodes.split(',').map(Number);
const INTERVAL_MS = Number(values['interval-ms']);
const LOSS = Number(values.loss);
const SEED = Number(values.seed);
const JOINS = 10;
const VIEW_SIZE = DEFAULT_ACTIVE_VIEW_SIZE;
if (SIZES.some((n) => !Number.isInteger(n) || n < 10 || n > 50_000))
  throw new Error('--nodes: 10..50000 each');

const log = (line: string): void => {
  if (!values.json) console.log(line);
  else process.stderr.write(`${line}\n`);
};

export interface ScaleResult {
  nodes: number;
  intervalMs: number;
  loss: number;
  msgsPerNodePerSec: number;
  bytesPerNodePerSec: number;
  cpuMsPerNodePerSec: number;
  /** p99 over the joins of the time until 99 % of live members heard the newcomer's join rumor. */
  joinP99Ms: number | null;
  /** p99 of the time until a newcomer has half its view verified and two others hold it. */
  joinSampledP99Ms: number | null;
  joins: number;
  detectMs: number | null;
  detectIntervals: number | null;
  holdersAtCrash: number;
  falseDeaths: number;
  falseSuspicionsPerHour: number;
  viewFill: number;
  simulatedSeconds: number;
  wallSeconds: number;
}

function runSize(n: number): ScaleResult {
  const wallStart = performance.now();
  const crashed = new Set<string>();
  let falseDeaths = 0;
  const falseSuspicions = new Set<string>();
  // Who has heard each newcomer's join ("alive") rumor, per newcomer being measured.
  const heardJoin = new Map<string, Set<string>>();
  const cluster: SimulatedCluster = new SimulatedCluster(
    { loss: LOSS, seed: SEED + n },
    { intervalMs: INTERVAL_MS },
    {
      onChange: (_observer, change) => {
        if (change.to === 'down' && change.reason === 'timeout' && !crashed.has(change.peerId))
          falseDeaths += 1;
      },
      onRumor: (observer, rumor) => {
        if (rumor.kind === 'alive') heardJoin.get(rumor.peerId)?.add(observer);
        if (rumor.kind === 'suspect' && !crashed.has(rumor.peerId))
          falseSuspicions.add(`${rumor.peerId}:${rumor.incarnation}`);
      },
    },
  );
  // Formation: nodes join over two intervals (each finds seeds among those that advertised before it), then
  // the cluster settles until the join rumors have died out (as a region that grew over days would be).
  for (let i = 0; i < n; i += 1) cluster.add(1 + Math.floor(cluster.network.random() * 8));
  const formMs = 2 * INTERVAL_MS;
  cluster.members.forEach((member, i) =>
    cluster.clock.setTimer((i / n) * formMs, () => member.membership.start()),
  );
  cluster.runFor(formMs + 2 * INTERVAL_MS);
  for (let i = 0; i < 20 && backlog(cluster) > 0; i += 1) cluster.runFor(INTERVAL_MS);
  cluster.runFor(INTERVAL_MS);
  log(`  N=${n}: formed and settled at t=${cluster.clock.now() / 1000}s`);

  // Steady window: 4 intervals.
  const windowMs = 4 * INTERVAL_MS;
  cluster.network.resetTraffic();
  const cpu0 = process.cpuUsage();
  cluster.runFor(windowMs);
  const cpu = process.cpuUsage(cpu0);
  let sent = 0;
  let sentBytes = 0;
  for (const member of cluster.members) {
    const traffic = cluster.network.traffic(member.id);
    sent += traffic.sent;
    sentBytes += traffic.sentBytes;
  }
  const windowS = windowMs / 1000;
  let fill = 0;
  for (const member of cluster.members) fill += member.membership.members().length;

  // Joins, one every half interval. Known: 99 % of the live members (all but the newcomer) heard its join
  // rumor. Usable: half its own view is verified and two others hold it (it can route, gets probed).
  const joins: Join[] = [];
  for (let j = 0; j < JOINS; j += 1) {
    const newcomer = cluster.add(4);
    heardJoin.set(newcomer.id, new Set());
    joins.push({
      id: newcomer.id,
      at: cluster.clock.now(),
      knownMs: null,
      joinedMs: null,
      heard: () => heardJoin.get(newcomer.id)!.size,
      view: () => newcomer.membership.members().length,
    });
    newcomer.membership.start();
    for (let step = 0; step < 10; step += 1) {
      cluster.runFor(INTERVAL_MS / 20);
      checkJoins(cluster, joins);
    }
  }
  const open = (join: Join): boolean => join.joinedMs === null || join.knownMs === null;
  for (let step = 0; step < 200 && joins.some(open); step += 1) {
    cluster.runFor(INTERVAL_MS / 20);
    checkJoins(cluster, joins);
  }
  heardJoin.clear();

  // A crash: how long until no survivor holds the victim as a member.
  const victim = cluster.members[Math.floor(cluster.network.random() * n)]!;
  const holdersAtCrash = cluster.holders(victim.id);
  crashed.add(victim.id);
  const crashAt = cluster.clock.now();
  cluster.crash(victim);
  let detectMs: number | null = null;
  for (let t = 0; t < 6 * INTERVAL_MS; t += INTERVAL_MS / 20) {
    cluster.runFor(INTERVAL_MS / 20);
    if (detectMs === null && cluster.holders(victim.id) === 0) detectMs = cluster.clock.now() - crashAt;
  }
  const simulatedSeconds = cluster.clock.now() / 1000;
  return {
    nodes: n,
    intervalMs: INTERVAL_MS,
    loss: LOSS,
    msgsPerNodePerSec: round(sent / n / windowS, 3),
    bytesPerNodePerSec: round(sentBytes / n / windowS, 1),
    cpuMsPerNodePerSec: round((cpu.user + cpu.system) / 1000 / n / windowS, 4),
    joinP99Ms: p99(joins.map((join) => join.knownMs)),
    joinSampledP99Ms: p99(joins.map((join) => join.joinedMs)),
    joins: JOINS,
    detectMs: detectMs === null ? null : Math.round(detectMs),
    detectIntervals: detectMs === null ? null : round(detectMs / INTERVAL_MS, 2),
    holdersAtCrash,
    falseDeaths,
    falseSuspicionsPerHour: round((falseSuspicions.size / simulatedSeconds) * 3600, 1),
    viewFill: round(fill / n, 2),
    simulatedSeconds,
    wallSeconds: round((performance.now() - wallStart) / 1000, 1),
  };
}

function backlog(cluster: SimulatedCluster): number {
  let total = 0;
  for (const member of cluster.members) total += member.membership.rumorBacklog;
  return total;
}

interface Join {
  readonly id: string;
  readonly at: number;
  knownMs: number | null;
  joinedMs: number | null;
  /** Members that heard its join rumor. */
  readonly heard: () => number;
  readonly view: () => number;
}

/** The 99th percentile, null when any value is missing (a join that never got there). */
function p99(values: readonly (number | null)[]): number | null {
  if (values.some((value) => value === null)) return null;
  const sorted = (values as number[]).toSorted((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]!);
}

function checkJoins(cluster: SimulatedCluster, joins: Join[]): void {
  let live = 0;
  for (const member of cluster.members) if (!member.crashed) live += 1;
  for (const join of joins)
    if (join.knownMs === null && join.heard() >= 0.99 * (live - 1))
      join.knownMs = cluster.clock.now() - join.at;
  const open = joins.filter((join) => join.joinedMs === null && join.view() >= VIEW_SIZE / 2);
  if (open.length === 0) return;
  for (const join of open) {
    let held = 0;
    for (const member of cluster.members) {
      if (!member.crashed && member.membership.holds(join.id)) held += 1;
      if (held >= 2) break;
    }
    if (held >= 2) join.joinedMs = cluster.clock.now() - join.at;
  }
}

function round(value: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

const machine = `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()[0]?.toFixed(1)}`;
log(`bench:scale ${new Date().toISOString()} on ${machine}, interval ${INTERVAL_MS} ms, loss ${LOSS}`);
const results: ScaleResult[] = [];
for (const n of SIZES) {
  const result = runSize(n);
  results.push(result);
  if (values.json) console.log(JSON.stringify(result));
  else log(JSON.stringify(result));
  // Written after every size, so a run stopped early still leaves its plot.
  if (values.svg) writeFileSync(values.svg, costPlotSvg(results, machine));
}
const base = results[0];
const top = results.at(-1);
if (base && top && base !== top) {
  log(
    `ratio ${top.nodes}/${base.nodes}: messages ${(top.msgsPerNodePerSec / base.msgsPerNodePerSec).toFixed(2)}×, ` +
      `bytes ${(top.bytesPerNodePerSec / base.bytesPerNodePerSec).toFixed(2)}×, ` +
      `CPU ${(top.cpuMsPerNodePerSec / base.cpuMsPerNodePerSec).toFixed(2)}×`,
  );
}
if (values.svg) log(`plot written to ${values.svg}`);
const routingNodes = Number(values['routing-nodes']);
if (routingNodes > 0) {
  const routing = routingExperiment(routingNodes, INTERVAL_MS, SEED);
  if (values.json) console.log(JSON.stringify(routing));
  else log(JSON.stringify(routing));
}
