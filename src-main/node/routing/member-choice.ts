// Which member of `<own region>/<tier>` a request tries next, from the directory and what this requester has
// seen of each member: revoked and distrusted workers are left aside, a member that said "busy" counts as full
// for a moment, this node's own requests in flight count against a member's free slots (heartbeats lag behind
// them), and the time to admission breaks near-ties. With a directory that can ask (the node's), the two
// candidates of the power of two choices are asked for their queue right before the request goes out.
import { REGION_LABELS } from '../../../src-shared/regions/index.ts';
import type { ClusterDirectory } from './cluster-directory.ts';
import { NoLiveMemberError } from './errors.ts';
import type { RequesterPayments } from './payments.ts';
import type { RefusalMemory } from './refusal-memory.ts';
import { candidateCost, drawTwo, pickWorker, type WorkerCandidate } from './worker-selection.ts';

/** Pairs drawn (and asked for their load) before a request waits in line because every pair was full. */
const MAX_LOAD_ROUNDS = 3;

/** Local reputation at or below which a worker is only used when no other is free (two failures, no successes). */
const DISTRUSTED = -0.5;

export interface MemberChoiceComponents {
  readonly directory: ClusterDirectory;
  /** Local reputation of workers (absent: everyone is neutral). */
  readonly payments?: RequesterPayments;
  /** Refusals and failures toward this node, shared with the requester that records them. */
  readonly refusals: RefusalMemory;
}

export interface MemberChoiceInit {
  /** How long a member that said "busy" is treated as full. */
  readonly busyHoldMs: number;
  /** Human names of tiers for messages. */
  readonly tierLabel: (tier: string) => string;
  /** "<region> <tier>" for messages. */
  readonly describe: (tier: string) => string;
}

/** The requester's view of members' load and distance, and the choice made from it. */
export class MemberChoice {
  readonly #components: MemberChoiceComponents;
  readonly #init: MemberChoiceInit;
  readonly #rtt = new Map<string, number>();
  readonly #busyUntil = new Map<string, number>();
  /**
   * This node's requests per member, from the attempt until the reply ends. Heartbeats lag behind them, and
   * the member allows each requester only so many streams (about twice its capacity): counting our own keeps
   * us within that, the rest waits in line.
   */
  readonly #active = new Map<string, number>();

  constructor(components: MemberChoiceComponents, init: MemberChoiceInit) {
    this.#components = components;
    this.#init = init;
  }

  /** A member to try; null when all are busy (wait); 'none-left' when every live member failed. */
  async choose(tier: string, failed: Map<string, string>): Promise<WorkerCandidate | null | 'none-left'> {
    const region = this.#components.directory.region();
    if (!region)
      throw new NoLiveMemberError('this node does not know its region yet, so it cannot route requests');
    const live = this.#components.directory.members(tier).filter((member) => member.status !== 'down');
    if (live.length === 0) {
      throw new NoLiveMemberError(
        `no node in ${REGION_LABELS[region]} serves ${this.#init.tierLabel(tier)} right now`,
      );
    }
    const now = Date.now();
    const payments = this.#components.payments;
    const reputation = (peerId: string) => payments?.reputation(peerId) ?? 0;
    // A worker revoked by a fraud proof gets no work from this node, ever.
    for (const member of live)
      if (reputation(member.peerId) <= -1)
        failed.set(member.peerId, 'its account is revoked by a fraud proof');
    const ready = live.filter(
      (member) => member.status === 'up' && member.engineReady && !failed.has(member.peerId),
    );
    // Workers that failed this node before are left aside while others can take the request.
    const trusted = ready.filter((member) => reputation(member.peerId) > DISTRUSTED);
    const usable = trusted.length > 0 ? trusted : ready;
    if (usable.length === 0) {
      if (live.every((member) => failed.has(member.peerId))) return 'none-left';
      if (live.every((member) => member.status === 'paused' || failed.has(member.peerId))) {
        throw new NoLiveMemberError(
          `every ${this.#init.describe(tier)} node has paused contributing right now`,
        );
      }
      return null;
    }
    const askLoad = this.#components.directory.askLoad;
    // Where load is asked on demand, what a member once announced about its queue is stale: members spread
    // only rarely changing state, so a worker seen full while it was busy would look full forever, and a
    // requester whose members all looked so would wait in line beside idle workers (the chaos run on real
    // inference did: one-minute stalls). Before asking, only this node's own requests in flight and recent
    // "busy" answers count.
    const candidates = usable.map((member) =>
      this.#candidate(member.peerId, member.capacity, askLoad === undefined ? member.load : 0, now),
    );
    if (askLoad === undefined) return pickWorker(candidates);
    // Power of two choices over the sample, each of the two asked for its queue right before routing: what a
    // member announced about itself is rarely changing state, never its load.
    for (let round = 0; round < MAX_LOAD_ROUNDS; round += 1) {
      const pair = drawTwo(candidates.filter((candidate) => !this.#isBusy(candidate.peerId, now)));
      if (pair.length === 0) return null;
      const answers = await Promise.all(pair.map((candidate) => askLoad(tier, candidate.peerId)));
      const fresh: WorkerCandidate[] = [];
      pair.forEach((candidate, i) => {
        const answer = answers[i];
        // No answer in time: keep what we knew (the attempt itself will tell). Not ready: not a candidate.
        if (answer === null || answer === undefined) fresh.push(candidate);
        else if (!answer.ready) this.markBusy(candidate.peerId);
        else fresh.push(this.#candidate(candidate.peerId, answer.capacity, answer.load, now));
      });
      const open = fresh.filter((candidate) => candidate.load < candidate.capacity);
      for (const candidate of fresh) if (!open.includes(candidate)) this.markBusy(candidate.peerId);
      const [a, b] = open;
      if (a !== undefined) return b !== undefined && candidateCost(b) < candidateCost(a) ? b : a;
    }
    return null;
  }

  #isBusy(peerId: string, now: number): boolean {
    return (this.#busyUntil.get(peerId) ?? 0) > now;
  }

  #candidate(peerId: string, capacity: number, load: number, now: number): WorkerCandidate {
    return {
      peerId,
      capacity,
      load: this.#isBusy(peerId, now) ? capacity : Math.max(load, this.#active.get(peerId) ?? 0),
      rttMs: this.#rtt.get(peerId) ?? null,
      refusals: this.#components.refusals.weight(peerId),
    };
  }

  /** The member said "busy": treat it as full until the hold passes (its next heartbeat, roughly). */
  markBusy(peerId: string): void {
    this.#busyUntil.set(peerId, Date.now() + this.#init.busyHoldMs);
  }

  /** This node's requests to `peerId` changed by `delta`. */
  addActive(peerId: string, delta: number): void {
    const count = (this.#active.get(peerId) ?? 0) + delta;
    if (count > 0) this.#active.set(peerId, count);
    else this.#active.delete(peerId);
  }

  /** A member answered `ms` after the attempt began (smoothed). */
  recordRtt(peerId: string, ms: number): void {
    const previous = this.#rtt.get(peerId);
    this.#rtt.set(peerId, previous === undefined ? ms : previous * 0.8 + ms * 0.2);
  }
}
