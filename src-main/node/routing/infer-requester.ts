// The requester side of /og/infer/2.0.0: pick a member of `<own region>/<tier>`, stream its reply, retry
// another member when one fails before the first token, wait in line when all are busy. Phase 1 never leaves
// the node's region.
import { randomUUID } from 'node:crypto';
import type { Libp2p, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { REGION_LABELS } from '../../../src-shared/regions/index.ts';
import type { ChatChunk, ChatRequest } from '../../../src-shared/protocol/chat.ts';
import {
  MAX_RESPONSE_FRAME_BYTES,
  decodeWorkerFrame,
  encodeRequesterFrame,
  type RequesterFrame,
  type WorkerFrame,
} from '../../../src-shared/protocol/infer-frames.ts';
import { INFER_PROTOCOL } from '../../../src-shared/protocol/protocol-ids.ts';
import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';
import { openStream } from '../p2p/open-stream.ts';
import type { ClusterDirectory } from './cluster-directory.ts';
import { NoWorkerAnsweredError, PartialResponseError } from './errors.ts';
import type { InferWorker } from './infer-worker.ts';
import { FrameChannel } from './frame-channel.ts';
import { WaitingLine } from './waiting-line.ts';
import { SpareStreams } from './spare-streams.ts';
import { NextRequestOffers } from './next-request-offers.ts';
import { messageOf, requestMember, type Attempt, type MemberAsk } from './member-request.ts';
import { MemberChoice } from './member-choice.ts';
import { RefusalMemory, type RefusalMemoryInit } from './refusal-memory.ts';
import type { RequesterPayments } from './payments.ts';

/** What opens streams to members: the node's libp2p (p2p/open-stream.ts picks the connection). */
export type ProtocolDialer = Pick<Libp2p, 'getConnections' | 'dialProtocol'>;

export interface InferRequesterComponents {
  readonly dialer: ProtocolDialer;
  readonly directory: ClusterDirectory;
  /** This node's peer id and worker, so a request can be served locally when this node is the best member. */
  readonly self?: { readonly peerId: string; readonly worker: InferWorker };
  /** The ledger's side of paid requests; without it this node pays no one (and only free workers serve it). */
  readonly payments?: RequesterPayments;
}

export interface InferRequesterInit {
  /** How long a member has to admit or refuse. */
  readonly admitTimeoutMs?: number;
  /** The longest silence between two frames of a reply. */
  readonly idleTimeoutMs?: number;
  /** Members tried before giving up on one request. */
  readonly maxAttempts?: number;
  readonly queue?: { maxWaiting?: number; timeoutMs?: number; retryMs?: number };
  /** How long a member that said "busy" is treated as full (until its next heartbeat, roughly). */
  readonly busyHoldMs?: number;
  /** Human names of tiers for messages ("Model C"). */
  readonly tierLabel?: (tier: string) => string;
  /**
   * How long a spare stream, opened after a request to be ready for the next one, may wait. Below the
   * worker's request timeout (10 s), which closes idle streams. 0 turns spares off.
   */
  readonly spareStreamMs?: number;
  /** How long refusals weigh on a member (selection leaves it aside meanwhile). */
  readonly refusals?: RefusalMemoryInit;
  /**
   * A reply whose member membership declares down is given up once its stream was silent this long
   * (default 2 s), checked every `memberLostCheckMs` (default 1 s): before the first token another member
   * answers, after it the reply ends with a clear error, instead of waiting out `idleTimeoutMs`.
   */
  /**
   * How long a quote a worker offered for the next request is tried (default 20 s, inside the worker's own
   * quote lifetime of 30 s; the ledger checks the quote's expiry when reserving). 0 never uses offers.
   */
  readonly offeredQuoteMs?: number;
  /**
   * Reserve an offered quote at once, in the background, so the next request sends a RESERVE that is durable
   * already (no fsync before its first frame); unused, it is settled at zero once `offeredQuoteMs` passed.
   * Meanwhile it locks that request's maximum cost (only while the balance leaves a full request's worth).
   * The node turns it on; off by default, offers are reserved when the request goes out.
   */
  readonly reserveAhead?: boolean;
  readonly memberLostGraceMs?: number;
  readonly memberLostCheckMs?: number;
}

export interface RouteOptions {
  readonly signal?: AbortSignal;
  /** Called with 1, 2, … while the request waits for a free member, and 0 once it is served. */
  readonly onQueuePosition?: (position: number) => void;
  /** Called each time a member admits the request (more than once after a retry). */
  readonly onRouted?: (peerId: string) => void;
}

const RESPONSE_CODEC = {
  maxInBytes: MAX_RESPONSE_FRAME_BYTES,
  decode: decodeWorkerFrame,
  encode: encodeRequesterFrame,
};

/** What happened to the requests this node routed (the chaos run reads them through GET /api/routing). */
export interface RequesterStats {
  /** Requests routed (each chat() that reached member selection). */
  readonly requests: number;
  /** Requests that got their reply from another member after one failed before the first token. */
  readonly retriedBeforeFirstToken: number;
  /** Members that failed a request before its first token (unreachable, refused, cut): each led to a retry or an error. */
  readonly memberFailuresBeforeFirstToken: number;
  /** Requests that ended in an error before their first token (no member could answer). */
  readonly failedBeforeFirstToken: number;
  /** Requests cut after their first token (the reply ended with a clear error). */
  readonly cutAfterFirstToken: number;
  /** Requests that completed. */
  readonly completed: number;
}

export class InferRequester {
  readonly #components: InferRequesterComponents;
  readonly #admitTimeoutMs: number;
  readonly #idleTimeoutMs: number;
  readonly #maxAttempts: number;
  readonly #tierLabel: (tier: string) => string;
  readonly #line: WaitingLine;
  readonly #choice: MemberChoice;
  readonly #spares: SpareStreams;
  readonly #offers: NextRequestOffers;
  readonly #refusals: RefusalMemory;
  readonly #memberLost: { readonly graceMs: number; readonly checkMs: number };
  readonly #stats = {
    requests: 0,
    retriedBeforeFirstToken: 0,
    memberFailuresBeforeFirstToken: 0,
    failedBeforeFirstToken: 0,
    cutAfterFirstToken: 0,
    completed: 0,
  };

  constructor(components: InferRequesterComponents, init: InferRequesterInit = {}) {
    this.#components = components;
    this.#admitTimeoutMs = init.admitTimeoutMs ?? 10_000;
    this.#idleTimeoutMs = init.idleTimeoutMs ?? 120_000;
    this.#maxAttempts = init.maxAttempts ?? 4;
    this.#tierLabel = init.tierLabel ?? ((tier) => tier);
    this.#refusals = new RefusalMemory(init.refusals);
    this.#memberLost = { graceMs: init.memberLostGraceMs ?? 2_000, checkMs: init.memberLostCheckMs ?? 1_000 };
    this.#choice = new MemberChoice(
      { directory: components.directory, payments: components.payments, refusals: this.#refusals },
      {
        busyHoldMs: init.busyHoldMs ?? 1_000,
        tierLabel: this.#tierLabel,
        describe: (tier) => this.#describe(tier),
      },
    );
    this.#spares = new SpareStreams((peerId) => this.#dial(peerId), init.spareStreamMs ?? 5_000);
    this.#offers = new NextRequestOffers(components, {
      maxAgeMs: init.offeredQuoteMs ?? 20_000,
      reserveAhead: init.reserveAhead ?? false,
    });
    this.#line = new WaitingLine({
      maxWaiting: init.queue?.maxWaiting ?? 256,
      timeoutMs: init.queue?.timeoutMs ?? 120_000,
      retryMs: init.queue?.retryMs ?? 250,
    });
  }

  /** Settle every reservation held ahead at zero now (offers keep being held for later requests). */
  releaseHeld(): void {
    this.#offers.close();
  }

  /** Drops the spare streams and settles what is held ahead at zero (the node is stopping). */
  close(): void {
    this.#spares.close();
    this.#offers.close();
  }

  /**
   * The paid form of `request` (payments.prepare). Reservations held ahead are the user's tokens: when the
   * balance refuses a request only because of them (other requests ran meanwhile, the balance fell), they are
   * settled at zero first, so that no offer a worker made can refuse this node's next request.
   */
  #prepare(payments: RequesterPayments, tier: string, request: ChatRequest): ChatRequest {
    try {
      return payments.prepare(tier, request);
    } catch (error) {
      if (!(error instanceof ExpectedError) || this.#offers.held === 0) throw error;
      this.#offers.close();
      return payments.prepare(tier, request);
    }
  }

  /** The weight of a member's recent refusals toward this node (0 = none): selection avoids heavy ones. */
  refusalWeight(peerId: string): number {
    return this.#refusals.weight(peerId);
  }

  /** Counts since this node started. */
  get stats(): RequesterStats {
    return { ...this.#stats };
  }

  /** Requests waiting for a free member now. */
  get waiting(): number {
    return this.#line.length;
  }

  /** A member may have a free slot now (a heartbeat arrived, a request finished): the head of the line retries. */
  notifyCapacity(): void {
    this.#line.notify();
  }

  /** Streams the reply: deltas in order, then one usage chunk. Throws the routing errors of errors.ts. */
  async *chat(tier: string, request: ChatRequest, options: RouteOptions = {}): AsyncGenerator<ChatChunk> {
    const { signal } = options;
    const id = randomUUID();
    const failed = new Map<string, string>();
    let place: ReturnType<WaitingLine['join']> | null = null;
    let paidRequest: ChatRequest | null = null;
    // Unless this node serves the tier itself (free), the balance decides before anything else: a node in
    // debt hears so at once, not after waiting for a member.
    const payments = this.#components.payments;
    const self = this.#components.self?.peerId;
    if (
      payments &&
      !this.#components.directory.members(tier).some((m) => m.peerId === self && m.status === 'up')
    )
      paidRequest = this.#prepare(payments, tier, request);
    this.#stats.requests += 1;
    let outcome: 'completed' | 'cut' | 'failed' | null = null;
    try {
      for (;;) {
        signal?.throwIfAborted();
        const choice = await this.#choice.choose(tier, failed);
        if (choice === 'none-left') {
          const reasons = [...failed.values()].slice(0, 3).join('; ');
          throw new NoWorkerAnsweredError(
            `no ${this.#describe(tier)} node could take the request (${reasons})`,
          );
        }
        if (choice === null) {
          place ??= this.#line.join((position) => options.onQueuePosition?.(position), this.#describe(tier));
          await place.turn(signal);
          continue;
        }
        // A paid request needs the balance first (a user-facing error when it is too low) and a reply length
        // the reservation covers; this node's own worker serves it for free.
        const paid = payments !== undefined && payments.pays(choice.peerId);
        if (paid && paidRequest === null) paidRequest = this.#prepare(payments, tier, request);
        this.#choice.addActive(choice.peerId, 1);
        let attempt: Attempt;
        try {
          attempt = await this.#attempt(choice.peerId, id, tier, (paid && paidRequest) || request, signal);
        } catch (error) {
          this.#choice.addActive(choice.peerId, -1);
          throw error;
        }
        if (attempt.kind !== 'admitted') this.#choice.addActive(choice.peerId, -1);
        if (attempt.kind === 'busy') {
          this.#choice.markBusy(choice.peerId);
          this.#refusals.record(choice.peerId, 'busy');
          continue;
        }
        if (attempt.kind === 'unavailable') {
          failed.set(choice.peerId, attempt.why);
          this.#refusals.record(choice.peerId, 'refused');
          if (failed.size >= this.#maxAttempts) {
            throw new NoWorkerAnsweredError(
              `${failed.size} ${this.#describe(tier)} nodes failed: ${attempt.why}`,
            );
          }
          continue;
        }
        if (place) {
          place.leave();
          place = null;
          options.onQueuePosition?.(0);
        }
        options.onRouted?.(choice.peerId);
        let started = false;
        try {
          for await (const chunk of attempt.chunks) {
            started = true;
            // The usage chunk ends the reply: callers may stop iterating once they have it.
            if (chunk.type === 'usage') outcome = 'completed';
            yield chunk;
          }
          this.#refusals.served(choice.peerId);
          outcome = 'completed';
          return;
        } catch (error) {
          if (signal?.aborted) throw signal.reason;
          this.#refusals.record(choice.peerId, 'failed');
          if (started) {
            outcome = 'cut';
            throw new PartialResponseError(`the reply was cut off: ${messageOf(error)}`);
          }
          // Nothing reached the user yet: another member can answer transparently.
          failed.set(choice.peerId, messageOf(error));
          if (failed.size >= this.#maxAttempts) {
            throw new NoWorkerAnsweredError(
              `${failed.size} ${this.#describe(tier)} nodes failed: ${messageOf(error)}`,
            );
          }
        } finally {
          this.#choice.addActive(choice.peerId, -1);
          this.#line.notify();
          // Ready the next request to this member once this one no longer competes for the connection.
          if (choice.peerId !== this.#components.self?.peerId) this.#spares.prepare(choice.peerId);
        }
      }
    } catch (error) {
      // Any error before the first token counts (no member, queue timeout, balance), not the caller's abort.
      outcome ??= signal?.aborted ? null : 'failed';
      throw error;
    } finally {
      place?.leave();
      this.#count(outcome, failed.size);
    }
  }

  #count(outcome: 'completed' | 'cut' | 'failed' | null, memberFailures: number): void {
    this.#stats.memberFailuresBeforeFirstToken += memberFailures;
    if (outcome === 'completed') {
      this.#stats.completed += 1;
      if (memberFailures > 0) this.#stats.retriedBeforeFirstToken += 1;
    } else if (outcome === 'cut') {
      this.#stats.cutAfterFirstToken += 1;
      if (memberFailures > 0) this.#stats.retriedBeforeFirstToken += 1;
    } else if (outcome === 'failed') {
      this.#stats.failedBeforeFirstToken += 1;
    }
  }

  #describe(tier: string): string {
    const region = this.#components.directory.region();
    return `${region ? REGION_LABELS[region] : 'unknown-region'} ${this.#tierLabel(tier)}`;
  }

  async #attempt(
    peerId: string,
    id: string,
    tier: string,
    request: ChatRequest,
    signal?: AbortSignal,
  ): Promise<Attempt> {
    const self = this.#components.self;
    if (self && self.peerId === peerId) {
      const admission = self.worker.admit(tier);
      if (!admission.ok)
        return admission.reason === 'busy'
          ? { kind: 'busy' }
          : { kind: 'unavailable', why: admission.message };
      return {
        kind: 'admitted',
        chunks: self.worker.runLocal(admission, request, signal ?? new AbortController().signal),
      };
    }
    const started = performance.now();
    const spare = await this.#spares.take(peerId);
    if (spare) {
      const outcome = await this.#request(new FrameChannel(spare, RESPONSE_CODEC), {
        peerId,
        id,
        tier,
        request,
        started,
        ...(signal ? { signal } : {}),
      });
      // A spare the worker already closed says nothing about the worker: dial afresh.
      if (outcome.kind !== 'unavailable') return outcome;
    }
    let channel: FrameChannel<WorkerFrame, RequesterFrame>;
    try {
      channel = new FrameChannel(await this.#dial(peerId, signal), RESPONSE_CODEC);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      return { kind: 'unavailable', why: `could not reach it (${messageOf(error)})` };
    }
    return this.#request(channel, { peerId, id, tier, request, started, ...(signal ? { signal } : {}) });
  }

  #request(channel: FrameChannel<WorkerFrame, RequesterFrame>, ask: MemberAsk): Promise<Attempt> {
    return requestMember(
      channel,
      ask,
      {
        directory: this.#components.directory,
        ...(this.#components.payments ? { payments: this.#components.payments } : {}),
        offers: this.#offers,
        recordRtt: (peerId, ms) => this.#choice.recordRtt(peerId, ms),
      },
      {
        admitTimeoutMs: this.#admitTimeoutMs,
        idleTimeoutMs: this.#idleTimeoutMs,
        memberLost: this.#memberLost,
      },
    );
  }

  #dial(peerId: string, signal?: AbortSignal): Promise<Stream> {
    const deadline = AbortSignal.timeout(this.#admitTimeoutMs);
    // Over the connection we have, relayed or not: a dial by peer id with only a relayed connection dials the
    // relay again, and the duplicate's teardown reset this stream ("the connection muxer is closing").
    return openStream(this.#components.dialer, peerIdFromString(peerId), INFER_PROTOCOL, {
      signal: signal ? AbortSignal.any([signal, deadline]) : deadline,
      runOnLimitedConnection: true,
      // Admission keeps streams per member near its capacity; this is only a ceiling against runaway use.
      maxOutboundStreams: 1024,
      // Optimistic protocol selection: the request goes out with the protocol proposal, saving a round trip.
      negotiateFully: false,
    });
  }
}
