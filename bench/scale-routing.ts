// Routing quality over the sample (issue 16): workers with skewed capacities take Poisson arrivals at 85 % of
// the cluster's capacity. Baseline: power of two choices over the full view with exact loads. Sampled: each
// request starts at a random node, which draws two members of its own active view with the node's own draw
// (routing/worker-selection.ts drawTwo) and asks both for their load on the wire (the node's load query, over
// the simulated links) before it routes to the cheaper by the node's cost (candidateCost); both sides use
// that cost, so a change to the node's choice changes this experiment. Result: the busiest worker's queue,
// averaged over time, for both, and their ratio.
import { SimulatedCluster, type SimulatedMember } from '../test/sim/simulated-cluster.ts';
import { seededRandom } from '../test/sim/simulated-network.ts';
import type { ClusterMembershipOptions } from '../src-main/node/membership/cluster-options.ts';
import { candidateCost, drawTwo, type WorkerCandidate } from '../src-main/node/routing/worker-selection.ts';

const MEAN_SERVICE_MS = 2000;
const UTILISATION = 0.85;
const CAPACITIES = [2, 2, 2, 2, 4, 4, 4, 8, 8, 16];

export interface RoutingResult {
  experiment: 'routing';
  nodes: number;
  utilisation: number;
  capacities: string;
  busiestQueueFullView: number;
  busiestQueueSampled: number;
  ratio: number;
  loadQueriesAnswered: number;
  loadQueriesTimedOut: number;
}

interface Worker {
  readonly id: string;
  readonly capacity: number;
  running: number;
  queued: number;
}

function newWorker(id: string, capacity: number): Worker {
  return { id, capacity, running: 0, queued: 0 };
}

/** The node's cost (candidateCost) with the worker's exact load, as the full view's baseline knows it. */
function cost(worker: Worker): number {
  return candidateCost({
    peerId: worker.id,
    capacity: worker.capacity,
    load: worker.running + worker.queued,
    rttMs: null,
  });
}

/** Run arrivals through `route` on a virtual clock; returns the time-averaged busiest queue. */
function drive(
  cluster: SimulatedCluster,
  workers: Map<string, Worker>,
  route: (done: (peerId: string | null) => void) => void,
  measureMs: number,
  random: () => number,
): number {
  const clock = cluster.clock;
  let total = 0;
  for (const worker of workers.values()) total += worker.capacity;
  const rate = (UTILISATION * total) / MEAN_SERVICE_MS; // requests per ms
  const start = clock.now();
  const end = start + measureMs;
  const arrive = (): void => {
    if (clock.now() >= end) return;
    clock.setTimer(-Math.log(1 - random()) / rate, arrive);
    route((peerId) => {
      const worker = peerId === null ? undefined : workers.get(peerId);
      if (worker === undefined) return;
      // Each worker is an M/M/c queue: `capacity` slots, FIFO beyond them.
      const serve = (): void => {
        worker.running += 1;
        clock.setTimer(-Math.log(1 - random()) * MEAN_SERVICE_MS, () => {
          worker.running -= 1;
          if (worker.queued > 0) {
            worker.queued -= 1;
            serve();
          }
        });
      };
      if (worker.running < worker.capacity) serve();
      else worker.queued += 1;
    });
  };
  arrive();
  let sum = 0;
  let samples = 0;
  const sampleEvery = 100;
  for (let t = start + sampleEvery; t < end; t += sampleEvery) {
    clock.runUntil(t);
    // The first third warms the queues up.
    if (t < start + measureMs / 3) continue;
    let busiest = 0;
    for (const worker of workers.values()) busiest = Math.max(busiest, worker.queued);
    sum += busiest;
    samples += 1;
  }
  clock.runUntil(end + 10 * MEAN_SERVICE_MS);
  return sum / samples;
}

export function routingExperiment(
  n: number,
  intervalMs: number,
  seed: number,
  options: ClusterMembershipOptions = {},
): RoutingResult {
  const measureMs = 60_000;
  // Baseline: the full view, exact loads, no network.
  const fullCluster = new SimulatedCluster({ seed }, { intervalMs });
  const random = seededRandom(seed + 1);
  const fullWorkers = new Map<string, Worker>();
  const all: Worker[] = [];
  for (let i = 0; i < n; i += 1) {
    const worker = newWorker(`w${i}`, CAPACITIES[i % CAPACITIES.length]!);
    all.push(worker);
    fullWorkers.set(worker.id, worker);
  }
  const busiestFull = drive(
    fullCluster,
    fullWorkers,
    (done) => {
      const aIndex = Math.floor(random() * n);
      const bIndex = (aIndex + 1 + Math.floor(random() * (n - 1))) % n;
      const a = all[aIndex]!;
      const b = all[bIndex]!;
      done(cost(a) <= cost(b) ? a.id : b.id);
    },
    measureMs,
    random,
  );

  // Sampled: the real membership modules, load asked on demand over the simulated links.
  const cluster = new SimulatedCluster({ seed, loss: 0.01 }, { ...options, intervalMs });
  const workers = new Map<string, Worker>();
  for (let i = 0; i < n; i += 1) {
    const capacity = CAPACITIES[i % CAPACITIES.length]!;
    const member = cluster.add(capacity);
    const worker = newWorker(member.id, capacity);
    workers.set(member.id, worker);
    Object.defineProperty(member, 'load', {
      get: () => ({ capacity: worker.capacity, load: worker.running + worker.queued, ready: true }),
    });
  }
  cluster.members.forEach((member, i) =>
    cluster.clock.setTimer((i / n) * 2 * intervalMs, () => member.membership.start()),
  );
  cluster.runFor(24 * intervalMs);
  let answered = 0;
  let timedOut = 0;
  const members: SimulatedMember[] = cluster.members;
  const busiestSampled = drive(
    cluster,
    workers,
    (done) => {
      const requester = members[Math.floor(random() * members.length)]!;
      // The node's own draw (routing/worker-selection.ts): two random members of the sample with a free slot
      // as far as the requester knows before asking (it knows nothing of their load: 0, as in MemberChoice).
      const candidates: WorkerCandidate[] = requester.membership
        .members()
        .filter((m) => m.status === 'up' && !m.suspect)
        .map((m) => ({ peerId: m.peerId, capacity: m.descriptor.capacity, load: 0, rttMs: null }));
      const pair = drawTwo(candidates, random);
      if (pair.length === 0) return done(null);
      const answers = new Map<string, WorkerCandidate>();
      let waiting = pair.length;
      const answer = (candidate: WorkerCandidate) => (report: { capacity: number; load: number } | null) => {
        if (report === null) timedOut += 1;
        else {
          answered += 1;
          answers.set(candidate.peerId, { ...candidate, capacity: report.capacity, load: report.load });
        }
        waiting -= 1;
        if (waiting > 0) return;
        // The node's cost (candidateCost). One difference: where both answered full, the node waits in line;
        // here the request goes to the cheaper one anyway (this experiment measures the workers' queues).
        let best: WorkerCandidate | null = null;
        for (const fresh of answers.values())
          if (best === null || candidateCost(fresh) < candidateCost(best)) best = fresh;
        done(best?.peerId ?? null);
      };
      for (const candidate of pair) requester.membership.queryLoad(candidate.peerId, 500, answer(candidate));
    },
    measureMs,
    random,
  );
  return {
    experiment: 'routing',
    nodes: n,
    utilisation: UTILISATION,
    capacities: '40 % ×2, 30 % ×4, 20 % ×8, 10 % ×16 slots',
    busiestQueueFullView: Math.round(busiestFull * 100) / 100,
    busiestQueueSampled: Math.round(busiestSampled * 100) / 100,
    ratio: Math.round((busiestSampled / busiestFull) * 100) / 100,
    loadQueriesAnswered: answered,
    loadQueriesTimedOut: timedOut,
  };
}
