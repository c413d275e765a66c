// `npm run test:chaos` (issue 15): a devnet whose nodes are real `opengateway-node` processes, each in its
// own network namespace (scripts/chaos/chaos-net.ts; root needed), under a steady stream of paid streamed
// chats from the bootstrap node (which serves nothing, so every reply is paid), while the run SIGKILLs
// workers mid-stream and restarts them, SIGSTOPs one (a hang) and thaws it, degrades two workers' links
// (loss and delay), and cuts the region in two and heals it. The last line is one JSON object with the
// figures; the exit code is 1 when a request hung, conservation broke or the ledgers did not converge.
// Workers run the built-in llama.cpp on the generated tiny model (real inference, one thread each), or with
// `--engine exo-double` the EXO double (a SIMULATED engine: deterministic text at `--token-rate`).
import { parseArgs } from 'node:util';
import type { LedgerAudit } from '../src-main/node/local-api/routes/ledger-audit.ts';
import type { RequesterStats } from '../src-main/node/routing/infer-requester.ts';
import { engineOption, exitIfLabUnavailable, wholeNumberOption } from './chaos/script-start.ts';
import type { ChaosNode } from './chaos/chaos-node.ts';
import type { ChatOutcome } from './chaos/chat-stream.ts';
import { allReady, auditAll, converged, selfLoad } from './chaos/chaos-checks.ts';
import { createChaosDevnet, steadyChats } from './chaos/chaos-devnet.ts';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: '4' },
    engine: { type: 'string', default: 'builtin' },
    concurrency: { type: 'string', default: '3' },
    'phase-ms': { type: 'string', default: '15000' },
    'token-rate': { type: 'string', default: '20' },
    'max-tokens': { type: 'string', default: '40' },
    'hang-ms': { type: 'string', default: '60000' },
    'freeze-ms': { type: 'string', default: '75000' },
    // Four llama.cpp engines load on a shared two-core machine: minutes under load.
    'ready-timeout-ms': { type: 'string', default: '300000' },
    'converge-timeout-ms': { type: 'string', default: '120000' },
    keep: { type: 'boolean', default: false },
  },
});
const num = (name: keyof typeof values, min: number): number => wholeNumberOption('chaos', values, name, min);
const workerCount = num('workers', 4);
const engine = engineOption('chaos', values.engine);
const concurrency = num('concurrency', 1);
const phaseMs = num('phase-ms', 1000);
const hangMs = num('hang-ms', 1000);
/** Longer than the client's patience: a frozen worker must not hold a request that long. */
const freezeMs = num('freeze-ms', 1000);
const say = (line: string) => process.stderr.write(`chaos: ${line}\n`);
const sleep = (ms: number) => new Promise((done) => setTimeout(done, ms));

exitIfLabUnavailable('chaos');

const started = Date.now();
const faults: { t: number; what: string }[] = [];
const fault = (what: string) => {
  faults.push({ t: Date.now() - started, what });
  say(what);
};
const devnet = await createChaosDevnet({
  workers: workerCount,
  tokenRate: Number(values['token-rate']),
  prefix: 'chaos',
  engine,
});
const { net, nodes, requester, workers } = devnet;
const teardown = () => devnet.destroy({ keep: values.keep });
process.once('SIGINT', () => void teardown().then(() => process.exit(130)));

let exitCode = 1;
/** The clients send while this holds; a failed run stops them before the teardown. */
let sending = true;
let stream: ReturnType<typeof steadyChats> | null = null;
try {
  say(
    `${nodes.length} nodes in namespaces ${net.lab.prefix}-n0…n${workerCount}; link faults by ${net.faultKind}`,
  );
  const readyAt = await allReady(nodes, workers.length, Number(values['ready-timeout-ms']));
  if (readyAt === null)
    throw new Error(
      `not ready in time:\n${nodes.map((n) => `${n.name}: ${n.output.slice(-1500)}`).join('\n')}`,
    );
  say(`ready after ${Date.now() - started} ms`);

  stream = steadyChats(
    requester,
    { concurrency, maxTokens: Number(values['max-tokens']), hangMs },
    (outcome) => {
      if (outcome.kind !== 'completed') say(`request ended ${outcome.kind}: ${JSON.stringify(outcome)}`);
    },
  );
  const outcomes = stream.outcomes;
  // Conservation sampled during the run too, on every node that answers.
  let conservationBroken = 0;
  const sampler = (async () => {
    while (sending) {
      for (const audit of await auditAll(nodes))
        if (audit !== null && !audit.conserved) conservationBroken += 1;
      await sleep(2_000);
    }
  })();

  /** A worker with a request in flight, else any running one of `candidates`. */
  const busyWorker = async (candidates: readonly ChaosNode[]): Promise<ChaosNode> => {
    for (let i = 0; i < 20; i++) {
      for (const worker of candidates) if ((await selfLoad(worker)) > 0) return worker;
      await sleep(100);
    }
    return candidates[0]!;
  };

  await sleep(phaseMs);
  for (const round of [1, 2]) {
    const victim = await busyWorker(workers.filter((w) => w.state === 'running'));
    fault(`SIGKILL ${victim.name} (round ${round}, load ${await selfLoad(victim)})`);
    await victim.kill();
    await sleep(phaseMs / 2);
    fault(`restart ${victim.name}`);
    await victim.start();
    await sleep(phaseMs / 2);
  }
  const frozen = await busyWorker(workers);
  fault(`SIGSTOP ${frozen.name}`);
  frozen.freeze();
  await sleep(freezeMs);
  fault(`SIGCONT ${frozen.name}`);
  frozen.thaw();
  await sleep(phaseMs / 2);
  const poor = workers.slice(0, 2);
  for (const worker of poor)
    net.degrade(nodes.indexOf(worker), { lossPercent: 10, delayMs: 150, jitterMs: 50 });
  fault(`degrade links of ${poor.map((w) => w.name).join(', ')} (10 % loss, 150±50 ms by ${net.faultKind})`);
  await sleep(phaseMs);
  for (const worker of poor) net.restore(nodes.indexOf(worker));
  fault('restore links');
  await sleep(phaseMs / 2);
  const half = Math.ceil(nodes.length / 2);
  const cut = nodes.slice(half).map((node) => nodes.indexOf(node));
  net.partition(cut);
  fault(
    `partition: {${nodes
      .slice(0, half)
      .map((n) => n.name)
      .join(', ')}} | {${nodes
      .slice(half)
      .map((n) => n.name)
      .join(', ')}}`,
  );
  await sleep(phaseMs * 2);
  net.heal();
  const healedAt = Date.now();
  fault('heal; no new requests from here');
  sending = false;
  await stream.stop();
  await sampler;

  // Convergence: every node answers, holds the same heads, conserves exactly, has nothing pending.
  let convergeMs: number | null = null;
  let last: (LedgerAudit | null)[] = [];
  const convergeDeadline = healedAt + Number(values['converge-timeout-ms']);
  while (Date.now() < convergeDeadline) {
    last = await auditAll(nodes);
    if (converged(last)) {
      convergeMs = Date.now() - healedAt;
      break;
    }
    await sleep(250);
  }
  const stats = (await requester.api<{ requester: RequesterStats }>('/api/routing').catch(() => null))?.body
    .requester;
  const count = (kind: ChatOutcome['kind']) => outcomes.filter((o) => o.kind === kind).length;
  const clear = outcomes.filter((o) => o.kind === 'failed-clearly');
  const retried = stats?.retriedBeforeFirstToken ?? null;
  const failedBefore = clear.filter((o) => o.beforeFirstToken).length;
  const messages = new Map<string, number>();
  for (const o of clear) messages.set(o.message, (messages.get(o.message) ?? 0) + 1);
  const conservationExact = conservationBroken === 0 && last.every((audit) => audit?.conserved === true);
  const figures = {
    date: new Date(started).toISOString(),
    engine: engine === 'builtin' ? 'builtin (llama.cpp, generated tiny model)' : 'exo-double (simulated)',
    linkFaults: net.faultKind,
    nodes: nodes.length,
    concurrency,
    durationMs: Date.now() - started,
    sent: outcomes.length,
    completed: count('completed'),
    failedClearly: clear.length,
    cut: count('cut'),
    hung: count('hung'),
    slowestMs: Math.max(0, ...outcomes.map((o) => o.ms)),
    retriedBeforeFirstToken: retried,
    failedBeforeFirstToken: failedBefore,
    failedAfterFirstToken: clear.length - failedBefore,
    retryShare: retried === null || retried + failedBefore === 0 ? null : retried / (retried + failedBefore),
    conservationExact,
    convergeMs,
    forksProven: Math.max(0, ...last.map((audit) => audit?.forksProven ?? 0)),
    restarts: nodes.reduce((sum, node) => sum + node.starts - 1, 0),
    requesterStats: stats ?? null,
    errors: Object.fromEntries([...messages].sort((a, b) => b[1] - a[1]).slice(0, 6)),
    faults,
  };
  exitCode = figures.hung === 0 && conservationExact && convergeMs !== null ? 0 : 1;
  await teardown();
  process.stdout.write(`${JSON.stringify(figures)}\n`);
} catch (error) {
  sending = false;
  await stream?.stop();
  say(error instanceof Error ? (error.stack ?? error.message) : String(error));
  await teardown();
}
process.exit(exitCode);
