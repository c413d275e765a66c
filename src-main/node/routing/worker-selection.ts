// Which member gets a request: the power of two choices (pick two at random, keep the better) spreads load
// almost as well as asking everyone, without herding every requester onto the one member that looked idle.
import { REFUSAL_AVOID_WEIGHT } from './refusal-memory.ts';

/** What the requester knows of one member. */
export interface WorkerCandidate {
  readonly peerId: string;
  readonly capacity: number;
  readonly load: number;
  /** Smoothed time to admission in ms, when we have served through it before. */
  readonly rttMs: number | null;
  /** Recent refusals and failures toward this requester (RefusalMemory's weight); 0 when none. */
  readonly refusals?: number;
}

/**
 * Lower is better: the busy share of its slots, plus a little for distance (100 ms ≈ one busy slot in ten),
 * plus its recent refusals (one refusal outweighs a fully busy member).
 */
export function candidateCost(candidate: WorkerCandidate): number {
  const busy = candidate.capacity > 0 ? candidate.load / candidate.capacity : 1;
  return busy + (candidate.rttMs ?? 50) / 1000 + (candidate.refusals ?? 0) * 2;
}

/** A member with a free slot, by two random choices; null when none has one. */
export function pickWorker(
  candidates: readonly WorkerCandidate[],
  random: () => number = Math.random,
  avoidWeight: number = REFUSAL_AVOID_WEIGHT,
): WorkerCandidate | null {
  const [a, b] = drawTwo(candidates, random, avoidWeight);
  if (!a || !b) return a ?? b ?? null;
  return candidateCost(b) < candidateCost(a) ? b : a;
}

/** The two random members with a free slot that the power of two choices compares (fewer when fewer are free). */
export function drawTwo(
  candidates: readonly WorkerCandidate[],
  random: () => number = Math.random,
  avoidWeight: number = REFUSAL_AVOID_WEIGHT,
): WorkerCandidate[] {
  const open = candidates.filter((candidate) => candidate.load < candidate.capacity);
  // Members that refused lately are sampled only when no other is free: claiming a huge capacity and
  // refusing does not keep a Sybil in the draw.
  const willing = open.filter((candidate) => (candidate.refusals ?? 0) < avoidWeight);
  const free = willing.length > 0 ? willing : open;
  if (free.length <= 1) return [...free];
  const first = Math.floor(random() * free.length);
  let second = Math.floor(random() * (free.length - 1));
  if (second >= first) second += 1;
  return [free[first]!, free[second]!];
}
