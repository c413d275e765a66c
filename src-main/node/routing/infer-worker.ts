// The worker side of /og/infer/2.0.0: admit or refuse with a typed reason, run the request on this node's
// engine for the tier, stream the reply with backpressure, and stop the engine when the requester goes away.
import type { Connection, Stream } from '@libp2p/interface';
import { TypedEventEmitter } from 'main-event';
import type { ChatChunk, ChatRequest } from '../../../src-shared/protocol/chat.ts';
import {
  MAX_REQUEST_FRAME_BYTES,
  decodeRequesterFrame,
  encodeWorkerFrame,
  type RefusalReason,
  type RequesterFrame,
  type WorkerFrame,
} from '../../../src-shared/protocol/infer-frames.ts';
import { INFER_PROTOCOL } from '../../../src-shared/protocol/protocol-ids.ts';
import type { Engine } from '../engine/engine.ts';
import { PaymentRefusedError } from './errors.ts';
import { FrameChannel } from './frame-channel.ts';
import { InboundBudget } from './inbound-budget.ts';
import { PaidNegotiation } from './paid-negotiation.ts';
import type { WorkPayment, WorkerPayments } from './payments.ts';
import { reasonText } from './reason-text.ts';
import type { Shareholder } from './shard-shares.ts';
import { runReply, sendFinalFrame, type ReplyLimits } from './worker-reply.ts';
import { WorkerSlots, type Admission, type WorkerEngines } from './worker-slots.ts';

/** What the worker needs of libp2p. */
export interface ProtocolHost {
  handle(
    protocol: string,
    handler: (stream: Stream, connection: Connection) => void | Promise<void>,
    options?: { maxInboundStreams?: number; maxOutboundStreams?: number; runOnLimitedConnection?: boolean },
  ): Promise<void>;
  unhandle(protocol: string): Promise<void>;
}

export interface InferWorkerComponents {
  readonly host: ProtocolHost;
  readonly engines: WorkerEngines;
  /** The ledger's side of paid requests; without it this worker serves for free. */
  readonly payments?: WorkerPayments;
  /** This node's peer id: its own requests are never charged. */
  readonly selfPeerId?: string;
  /** Who a request on `tier` pays (shard nodes of a multi-machine instance); the worker alone by default. */
  readonly shareholders?: (tier: string, engine: Engine) => readonly Shareholder[];
  /** Unfinished inbound frame bytes, shared with the node's other protocols; one of its own otherwise. */
  readonly inboundBudget?: InboundBudget;
}

export interface InferWorkerInit {
  /** Concurrent requests per tier (the member's advertised capacity). */
  readonly capacityPerTier?: number;
  /** How long a requester has to send its request after opening the stream. */
  readonly requestTimeoutMs?: number;
  /** The longest a single generation may run. */
  readonly maxGenerationMs?: number;
  /** How long streaming waits for the requester's acknowledgement once the allowance is used up. */
  readonly ackTimeoutMs?: number;
  /** How long the worker waits for the SETTLE after the end of a paid reply. */
  readonly settleWaitMs?: number;
  /** How long a quoted requester has to answer with its RESERVE (a quote holds nothing else meanwhile). */
  readonly reserveTimeoutMs?: number;
  /** How long checking a stranger's account (pulling its chain) may take before its request is refused. */
  readonly payerCheckTimeoutMs?: number;
  /** Inbound /og/infer streams per connection (default: follows the capacity, see inboundStreamCeiling). */
  readonly maxInboundStreams?: number;
  /** The largest first frame from a peer whose account this node does not know (paid workers only). */
  readonly strangerFrameBytes?: number;
}

/**
 * The least inbound streams per connection. Memory is bounded by the inbound byte budget, not by this count;
 * the count only keeps handles in check. A busy requester legitimately holds many: its requests in flight,
 * a spare, quotes, and finished streams whose close has not completed yet (200 concurrent requests from one
 * requester failed at 32).
 */
export const DEFAULT_MAX_INBOUND_INFER_STREAMS = 256;

/** Streams one requester may hold at a time: at least the default, more for a worker with many slots. */
export function inboundStreamCeiling(capacityPerTier: number): number {
  return Math.max(DEFAULT_MAX_INBOUND_INFER_STREAMS, 4 * capacityPerTier + 8);
}

/** A stranger's request frame: a long text prompt fits, a conversation full of images does not. */
export const DEFAULT_STRANGER_FRAME_BYTES = 128 * 1024;

export interface WorkerRequestEvent {
  readonly id: string;
  readonly tier: string;
  readonly outcome: 'completed' | 'cancelled' | 'failed' | 'refused';
  readonly completionTokens: number;
}

export interface InferWorkerEvents {
  /** In-flight requests of a tier changed (heartbeats report it). */
  load: CustomEvent<{ tier: string; load: number }>;
  request: CustomEvent<WorkerRequestEvent>;
  /** Requests running on this worker changed (a pause reports "finishing N requests" from it). */
  'in-flight': CustomEvent<{ count: number }>;
}

const REQUESTER_CODEC = {
  maxInBytes: MAX_REQUEST_FRAME_BYTES,
  decode: decodeRequesterFrame,
  encode: encodeWorkerFrame,
};

type RequesterChannel = FrameChannel<RequesterFrame, WorkerFrame>;
type RequestFrame = Extract<RequesterFrame, { t: 'request' }>;

export class InferWorker extends TypedEventEmitter<InferWorkerEvents> {
  readonly #components: InferWorkerComponents;
  readonly #requestTimeoutMs: number;
  readonly #replyLimits: ReplyLimits;
  readonly #maxInboundStreams: number;
  readonly #strangerFrameBytes: number;
  readonly #budget: InboundBudget;
  readonly #slots: WorkerSlots;
  readonly #negotiation: PaidNegotiation;
  #started = false;

  constructor(components: InferWorkerComponents, init: InferWorkerInit = {}) {
    super();
    this.#components = components;
    const capacity = init.capacityPerTier ?? 2;
    this.#requestTimeoutMs = init.requestTimeoutMs ?? 10_000;
    this.#replyLimits = {
      maxGenerationMs: init.maxGenerationMs ?? 30 * 60_000,
      ackTimeoutMs: init.ackTimeoutMs ?? 30_000,
      settleWaitMs: init.settleWaitMs ?? 10_000,
    };
    this.#maxInboundStreams = init.maxInboundStreams ?? inboundStreamCeiling(capacity);
    this.#strangerFrameBytes = init.strangerFrameBytes ?? DEFAULT_STRANGER_FRAME_BYTES;
    this.#budget = components.inboundBudget ?? new InboundBudget();
    this.#slots = new WorkerSlots(components.engines, capacity, {
      load: (tier, load) => this.safeDispatchEvent('load', { detail: { tier, load } }),
      inFlight: (count) => this.safeDispatchEvent('in-flight', { detail: { count } }),
    });
    this.#negotiation = new PaidNegotiation(components, {
      payerCheckTimeoutMs: init.payerCheckTimeoutMs ?? 3_000,
      reserveTimeoutMs: init.reserveTimeoutMs ?? 2_000,
      requestTimeoutMs: this.#requestTimeoutMs,
    });
  }

  async start(): Promise<void> {
    await this.#components.host.handle(
      INFER_PROTOCOL,
      (stream, connection) => this.#serve(stream, connection),
      {
        maxInboundStreams: this.#maxInboundStreams,
        // libp2p applies a handler's outbound limit to this node's own requests too (default 64 per connection).
        maxOutboundStreams: 1024,
        runOnLimitedConnection: true,
      },
    );
    this.#started = true;
  }

  async stop(): Promise<void> {
    if (this.#started) await this.#components.host.unhandle(INFER_PROTOCOL);
    this.#started = false;
    this.#slots.abortAll(() => new Error('the node is shutting down'));
  }

  get capacity(): number {
    return this.#slots.capacity;
  }

  /** The contributor changed the cap: new requests see it at once; requests in flight finish. */
  setCapacity(capacity: number): void {
    this.#slots.setCapacity(capacity);
  }

  load(tier: string): number {
    return this.#slots.load(tier);
  }

  get paused(): boolean {
    return this.#slots.paused;
  }

  /** Paused workers refuse new requests; requests in flight finish. */
  setPaused(paused: boolean): void {
    this.#slots.setPaused(paused);
  }

  /** Requests running now (for peers or for this node's own requests). */
  get inFlight(): number {
    return this.#slots.inFlight;
  }

  /**
   * Let the requests in flight finish, for at most `graceMs`; then cancel the rest (each requester pays for
   * what reached it). Resolves to how many were cancelled. An aborted `signal` stops waiting, cancelling none.
   */
  async drain(graceMs: number, signal?: AbortSignal): Promise<number> {
    if (this.#slots.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.removeEventListener('in-flight', onChange);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const onChange = () => {
          if (this.#slots.inFlight === 0) done();
        };
        const timer = setTimeout(done, graceMs);
        this.addEventListener('in-flight', onChange);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    if (signal?.aborted) return 0;
    return this.#slots.abortAll(
      () => new Error(`this node paused contributing; the request ran ${graceMs} ms past the pause`),
    );
  }

  /** Take a slot for `tier`, or say why not. */
  admit(tier: string): Admission {
    return this.#slots.admit(tier);
  }

  /**
   * Run an admitted request on this node's own engine: the path a requester uses when it picked itself.
   * Yields the engine's chunks; releases the slot when done.
   */
  async *runLocal(
    admission: Extract<Admission, { ok: true }>,
    request: ChatRequest,
    signal: AbortSignal,
  ): AsyncGenerator<ChatChunk> {
    const controller = this.#slots.track(signal);
    try {
      yield* admission.engine.chat(request, { signal: controller.signal });
    } finally {
      this.#slots.untrack(controller);
      admission.release();
    }
  }

  async #serve(stream: Stream, connection: Connection): Promise<void> {
    const peer = connection.remotePeer;
    const payments = this.#components.payments;
    const free = !payments || peer.toString() === this.#components.selfPeerId;
    // A stranger (no account this node knows) gets a small first frame: its bytes cost us before we know
    // whether it can pay for anything.
    const known = free || (peer.type === 'Ed25519' && payments.knowsAccount(peer.publicKey.raw));
    const channel = new FrameChannel<RequesterFrame, WorkerFrame>(stream, REQUESTER_CODEC, {
      allowance: this.#budget.forPeer(peer.toString()),
      maxBufferBytes: MAX_REQUEST_FRAME_BYTES + 64 * 1024,
      ...(known ? {} : { firstFrameMaxBytes: this.#strangerFrameBytes }),
    });
    let frame: RequesterFrame;
    try {
      frame = await channel.read(this.#requestTimeoutMs);
    } catch (error) {
      channel.abort(error instanceof Error ? error.message : 'bad request frame');
      return;
    }
    if (frame.t !== 'request') {
      channel.abort('the first frame must be a request');
      return;
    }
    if (free) {
      const admission = this.admit(frame.tier);
      if (!admission.ok) {
        await this.#refuse(channel, frame, admission.reason, admission.message);
        return;
      }
      await this.#run(channel, frame, admission, null);
      return;
    }
    // Paid: nothing is held for a requester before its RESERVE. Busy, paused or not ready is said at once;
    // the account must be able to pay before a quote is made; the slot is taken once the RESERVE holds.
    const available = this.#slots.availability(frame.tier);
    if (!available.ok) {
      await this.#refuse(channel, frame, available.reason, available.message);
      return;
    }
    const peerKey = peer.toString();
    // A peer gets no more quotes at once than there are slots to run them. Beyond that it is told busy, so an
    // honest requester waits in line.
    const negotiating = this.#negotiation.openQuotes(peerKey);
    if (negotiating >= this.#slots.capacity) {
      await this.#refuse(
        channel,
        frame,
        'busy',
        `this requester already has ${negotiating} unanswered quote${negotiating === 1 ? '' : 's'}`,
      );
      return;
    }
    this.#negotiation.quoteOpened(peerKey);
    let payment: WorkPayment;
    try {
      payment = await this.#negotiation.agree(channel, connection, frame, available.engine);
    } catch (error) {
      if (error instanceof PaymentRefusedError) await this.#refuse(channel, frame, 'payment', error.message);
      else {
        channel.abort(reasonText(error));
        this.#report(frame, 'refused', 0);
      }
      return;
    } finally {
      this.#negotiation.quoteClosed(peerKey);
    }
    const admission = this.admit(frame.tier);
    if (!admission.ok) {
      // The slot went to someone else meanwhile: the requester settles its reservation alone (nothing was
      // sent, so it pays nothing).
      await this.#refuse(channel, frame, admission.reason, admission.message);
      return;
    }
    const asked = frame;
    await this.#run(channel, frame, admission, payment, () =>
      this.#negotiation.offerNext(connection, asked, admission.engine, this.#slots.capacity),
    );
  }

  async #refuse(
    channel: RequesterChannel,
    frame: RequestFrame,
    reason: RefusalReason,
    message: string,
  ): Promise<void> {
    await sendFinalFrame(channel, { t: 'refused', reason, message });
    this.#report(frame, 'refused', 0);
  }

  async #run(
    channel: RequesterChannel,
    frame: RequestFrame,
    admission: Extract<Admission, { ok: true }>,
    payment: WorkPayment | null,
    nextQuote?: () => Uint8Array | null,
  ): Promise<void> {
    const controller = this.#slots.track();
    try {
      await runReply(
        {
          channel,
          request: frame.request,
          admission,
          payment,
          ...(nextQuote ? { nextQuote } : {}),
          controller,
          report: (outcome, tokens) => this.#report(frame, outcome, tokens),
        },
        this.#replyLimits,
      );
    } finally {
      this.#slots.untrack(controller);
      admission.release();
    }
  }

  #report(frame: RequestFrame, outcome: WorkerRequestEvent['outcome'], tokens: number) {
    this.safeDispatchEvent('request', {
      detail: { id: frame.id, tier: frame.tier, outcome, completionTokens: tokens },
    });
  }
}
