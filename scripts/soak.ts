// `npm run soak [-- --duration-ms MS]` (issue 15): a 10-node devnet in network namespaces (the bootstrap/
// requester and 9 workers on the EXO double, a SIMULATED engine) under steady paid streamed chats and churn:
// every `--churn-ms` one worker leaves (a clean stop) and the one that left before rejoins. Every
// `--sample-ms` it reads each node's RSS, open file descriptors and sockets from /proc. The nodes that never
// leave (the bootstrap and the last three workers) show whether memory and handles stay flat: the figures
// compare their first sample after a warm-up with their last, and fit a slope. Timers inside a process are
// not visible from /proc; leaked sockets and file handles are. Last line: one JSON object.
import { readdir, readFile, readlink } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { allReady, auditAll, converged } from './chaos/chaos-checks.ts';
import { createChaosDevnet, steadyChats } from './chaos/chaos-devnet.ts';
import { engineOption, exitIfLabUnavailable, wholeNumberOption } from './chaos/script-start.ts';
import type { ChaosNode } from './chaos/chaos-node.ts';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '9' },
    // The soak watches the nodes' own memory and handles; `--engine builtin` runs llama.cpp under them too.
    engine: { type: 'string', default: 'exo-double' },
    'duration-ms': { type: 'string', default: String(30 * 60_000) },
    'churn-ms': { type: 'string', default: '60000' },
    'sample-ms': { type: 'string', default: '30000' },
    'warmup-ms': { type: 'string', default: '120000' },
    // Ten nodes start in ~90 s on a quiet machine but took 188 s and more at load 30-45 (three runs gave up at
    // the old fixed 180 s): the limit only stops a devnet that never forms.
    'ready-ms': { type: 'string', default: '600000' },
    concurrency: { type: 'string', default: '2' },
    'token-rate': { type: 'string', default: '20' },
  },
});
const num = (name: keyof typeof values, min: number): number => wholeNumberOption('soak', values, name, min);
const workerCount = num('workers', 4);
const engine = engineOption('soak', values.engine);
const durationMs = num('duration-ms', 60_000);
const churnMs = num('churn-ms', 5_000);
const sampleMs = num('sample-ms', 1_000);
const warmupMs = num('warmup-ms', 0);
const readyMs = num('ready-ms', 10_000);
const say = (line: string) => process.stderr.write(`soak: ${line}\n`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

exitIfLabUnavailable('soak');

interface Sample {
  readonly t: number;
  readonly rssKb: number;
  readonly fds: number;
  readonly sockets: number;
}

/** RSS, open descriptors and sockets of process `pid`, or null once it is gone. */
async function sample(pid: number, t: number): Promise<Sample | null> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
    const fds = await readdir(`/proc/${pid}/fd`);
    let sockets = 0;
    for (const fd of fds) {
      const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
      if (target.startsWith('socket:')) sockets += 1;
    }
    return { t, rssKb, fds: fds.length, sockets };
  } catch {
    return null;
  }
}

/** Least-squares slope of `y` over `t` (per ms). */
function slope(points: readonly { t: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return 0;
  const mt = points.reduce((s, p) => s + p.t, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  const num = points.reduce((s, p) => s + (p.t - mt) * (p.y - my), 0);
  const den = points.reduce((s, p) => s + (p.t - mt) ** 2, 0);
  return den === 0 ? 0 : num / den;
}

/** For t = 0, 10, 20 … minutes up to the last sample: the sample taken closest to that time. */
function everyTenMinutes(samples: readonly Sample[]): Sample[] {
  const last = samples.at(-1);
  if (last === undefined) return [];
  const picked: Sample[] = [];
  for (let mark = 0; mark <= last.t + 60_000; mark += 600_000) {
    const nearest = samples.reduce((a, b) => (Math.abs(b.t - mark) < Math.abs(a.t - mark) ? b : a));
    if (picked.at(-1) !== nearest) picked.push(nearest);
  }
  return picked;
}

const started = Date.now();
const devnet = await createChaosDevnet({
  workers: workerCount,
  tokenRate: Number(values['token-rate']),
  prefix: 'soak',
  engine,
});
process.once('SIGINT', () => void devnet.destroy().then(() => process.exit(130)));
let exitCode = 1;
try {
  const { nodes, requester, workers } = devnet;
  if ((await allReady(nodes, workers.length, readyMs)) === null)
    throw new Error('the devnet was not ready in time');
  say(`${nodes.length} nodes ready after ${Date.now() - started} ms; soaking for ${durationMs} ms`);
  const stable: ChaosNode[] = [requester, ...workers.slice(-3)];
  const churned = workers.slice(0, -3);
  const series = new Map<string, Sample[]>(stable.map((node) => [node.name, []]));
  const stream = steadyChats(requester, {
    concurrency: num('concurrency', 1),
    maxTokens: 40,
    hangMs: 60_000,
  });
  const soakStart = Date.now();
  let nextChurn = soakStart + churnMs;
  let nextSample = soakStart;
  let away: ChaosNode | null = null;
  let churns = 0;
  let turn = 0;
  while (Date.now() - soakStart < durationMs) {
    const now = Date.now();
    if (now >= nextSample) {
      nextSample += sampleMs;
      for (const node of stable) {
        const s = node.pid === null ? null : await sample(node.pid, now - soakStart);
        if (s !== null) series.get(node.name)!.push(s);
      }
    }
    if (now >= nextChurn && churned.length > 0) {
      nextChurn += churnMs;
      const next = churned[turn++ % churned.length]!;
      if (next === away) {
        // A single churned worker alternates: away one minute, back the next.
        await next.start();
        say(`churn: ${next.name} rejoined`);
        away = null;
      } else {
        await next.stop(10_000);
        if (away !== null) await away.start();
        say(`churn: ${next.name} left${away ? `, ${away.name} rejoined` : ''}`);
        away = next;
      }
      churns += 1;
    }
    await sleep(Math.max(50, Math.min(nextSample, nextChurn) - Date.now()));
  }
  await stream.stop();
  if (away !== null) await away.start();
  const stoppedAt = Date.now();
  let convergeMs: number | null = null;
  let audits = await auditAll(nodes);
  while (Date.now() - stoppedAt < 120_000) {
    if (converged(audits)) {
      convergeMs = Date.now() - stoppedAt;
      break;
    }
    await sleep(500);
    audits = await auditAll(nodes);
  }
  // Ledger agreement after the load stopped: every node conserves exactly and holds the same chain heads.
  const conservationExact = audits.every((audit) => audit?.conserved === true);
  const headsAgree = new Set(audits.map((audit) => audit?.headsDigest ?? null)).size === 1;
  const perNode = Object.fromEntries(
    [...series].map(([name, samples]) => {
      const warm = samples.filter((s) => s.t >= warmupMs);
      const first = warm[0] ?? samples[0];
      const last = samples.at(-1);
      const mb = (kb: number | undefined) => (kb === undefined ? null : Math.round(kb / 102.4) / 10);
      return [
        name,
        {
          samples: samples.length,
          rssFirstMb: mb(first?.rssKb),
          rssLastMb: mb(last?.rssKb),
          rssMaxMb: mb(Math.max(...samples.map((s) => s.rssKb))),
          // The sample nearest each whole 10 minutes (0, 10, 20, 30 min): the curve, not only its ends.
          rssEvery10MinMb: everyTenMinutes(samples).map((s) => mb(s.rssKb)),
          rssSlopeMbPer10Min:
            Math.round(slope(warm.map((s) => ({ t: s.t, y: s.rssKb / 1024 }))) * 600_000 * 10) / 10,
          fdsFirst: first?.fds ?? null,
          fdsLast: last?.fds ?? null,
          socketsFirst: first?.sockets ?? null,
          socketsLast: last?.sockets ?? null,
          socketsMax: Math.max(...samples.map((s) => s.sockets)),
        },
      ];
    }),
  );
  const outcomes = stream.outcomes;
  const count = (kind: string) => outcomes.filter((o) => o.kind === kind).length;
  const clear = outcomes.filter((o) => o.kind === 'failed-clearly');
  const messages = new Map<string, number>();
  for (const o of clear) messages.set(o.message, (messages.get(o.message) ?? 0) + 1);
  const figures = {
    date: new Date(started).toISOString(),
    engine: engine === 'builtin' ? 'builtin (llama.cpp)' : 'exo-double (simulated)',
    nodes: nodes.length,
    soakMs: stoppedAt - soakStart,
    churnMs,
    churns,
    sent: outcomes.length,
    completed: count('completed'),
    failedClearly: clear.length,
    failedBeforeFirstToken: clear.filter((o) => o.beforeFirstToken).length,
    cut: count('cut'),
    hung: count('hung'),
    convergeMs,
    conservationExact,
    headsAgree,
    // What the clients were told when a request failed (a churned worker's reply cut, no member free …).
    errors: Object.fromEntries([...messages].sort((a, b) => b[1] - a[1]).slice(0, 6)),
    perNode,
  };
  exitCode = figures.hung === 0 && convergeMs !== null && conservationExact ? 0 : 1;
  await devnet.destroy();
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} catch (error) {
  say(error instanceof Error ? (error.stack ?? error.message) : String(error));
  await devnet.destroy();
}
process.exit(exitCode);
