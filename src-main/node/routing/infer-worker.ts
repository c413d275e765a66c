// The worker side of /og/infer/1.0.0: admit or refuse with a typed reason, run the request on this node's
// engine for the tier, stream the reply with backpressure, and stop the engine when the requester goes away.
import type { Connection, Stream } from '@libp2p/interface';
import { TypedEventEmitter } from 'main-event';
import type { ChatChunk, ChatDeltaChunk, ChatRequest } from '../../../src-shared/protocol/chat.ts';
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
import { DeltaBatcher, deltaSizeBound } from './delta-batcher.ts';
import { FrameChannel } from './frame-channel.ts';
import { InboundBudget } from './inbound-budget.ts';
import type { WorkPayment, WorkerPayments } from './payments.ts';
import type { Shareholder } from './shard-shares.ts';
import { reasonText } from './reason-text.ts';
import { InferProtocolError } from './errors.ts';
import { RequesterFrames } from './requester-frames.ts';

/** The engines this node runs, one per tier it serves. */
export interface WorkerEngines {
  engineFor(tier: string): Engine | undefined;
}

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

/** A refusal or an admission, and its slot. */
export type Admission =
  | { readonly ok: true; readonly engine: Engine; readonly model: string; readonly release: () => void }
  | { readonly ok: false; readonly reason: RefusalReason; readonly message: string };

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

const MAX_BATCH_BYTES = 64 * 1024;

export class InferWorker extends TypedEventEmitter<InferWorkerEvents> {
  readonly #components: InferWorkerComponents;
  #capacity: number;
  readonly #requestTimeoutMs: number;
  readonly #maxGenerationMs: number;
  readonly #ackTimeoutMs: number;
  readonly #settleWaitMs: number;
  readonly #reserveTimeoutMs: number;
  readonly #payerCheckTimeoutMs: number;
  readonly #maxInboundStreams: number;
  readonly #strangerFrameBytes: number;
  readonly #budget: InboundBudget;
  readonly #load = new Map<string, number>();
  readonly #inFlight = new Set<AbortController>();
  /** Quotes per peer between its request and its RESERVE (or refusal): at most the capacity at a time. */
  readonly #negotiating = new Map<string, number>();
  #paused = false;
  #started = false;

  constructor(components: InferWorkerComponents, init: InferWorkerInit = {}) {
    super();
    this.#components = components;
    this.#capacity = init.capacityPerTier ?? 2;
    this.#requestTimeoutMs = init.requestTimeoutMs ?? 10_000;
    this.#maxGenerationMs = init.maxGenerationMs ?? 30 * 60_000;
    this.#ackTimeoutMs = init.ackTimeoutMs ?? 30_000;
    this.#settleWaitMs = init.settleWaitMs ?? 10_000;
    this.#reserveTimeoutMs = init.reserveTimeoutMs ?? 2_000;
    this.#payerCheckTimeoutMs = init.payerCheckTimeoutMs ?? 3_000;
    this.#maxInboundStreams = init.maxInboundStreams ?? inboundStreamCeiling(this.#capacity);
    this.#strangerFrameBytes = init.strangerFrameBytes ?? DEFAULT_STRANGER_FRAME_BYTES;
    this.#budget = components.inboundBudget ?? new InboundBudget();
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
    for (const controller of this.#inFlight) controller.abort(new Error('the node is shutting down'));
  }

  get capacity(): number {
    return this.#capacity;
  }

  /** The contributor changed the cap: new requests see it at once; requests in flight finish. */
  setCapacity(capacity: number): void {
    if (!Number.isSafeInteger(capacity) || capacity < 1)
      throw new RangeError('capacity must be a positive integer');
    this.#capacity = capacity;
    for (const [tier, load] of this.#load) this.safeDispatchEvent('load', { detail: { tier, load } });
  }

  load(tier: string): number {
    return this.#load.get(tier) ?? 0;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Paused workers refuse new requests; requests in flight finish. */
  setPaused(paused: boolean): void {
    this.#paused = paused;
  }

  /** Requests running now (for peers or for this node's own requests). */
  get inFlight(): number {
    return this.#inFlight.size;
  }

  /**
   * Let the requests in flight finish, for at most `graceMs`; then cancel the rest (each requester pays for
   * what reached it). Resolves to how many were cancelled. An aborted `signal` stops waiting, cancelling none.
   */
  async drain(graceMs: number, signal?: AbortSignal): Promise<number> {
    if (this.#inFlight.size > 0) {
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.removeEventListener('in-flight', onChange);
          signal?.removeEventListener('abort', done);
          resolve();
        };
        const onChange = () => {
          if (this.#inFlight.size === 0) done();
        };
        const timer = setTimeout(done, graceMs);
        this.addEventListener('in-flight', onChange);
        signal?.addEventListener('abort', done, { once: true });
      });
    }
    if (signal?.aborted) return 0;
    const cancelled = this.#inFlight.size;
    for (const controller of this.#inFlight)
      controller.abort(
        new Error(`this node paused contributing; the request ran ${graceMs} ms past the pause`),
      );
    return cancelled;
  }

  #untrack(controller: AbortController): void {
    if (this.#inFlight.delete(controller))
      this.safeDispatchEvent('in-flight', { detail: { count: this.#inFlight.size } });
  }

  /** Why `tier` cannot take a request now, or its engine when it can (nothing is taken). */
  #availability(
    tier: string,
  ):
    | { readonly ok: true; readonly engine: Engine }
    | { readonly ok: false; readonly reason: RefusalReason; readonly message: string } {
    if (this.#paused) return { ok: false, reason: 'paused', message: 'this node has paused contributing' };
    const engine = this.#components.engines.engineFor(tier);
    if (!engine) return { ok: false, reason: 'unknown-tier', message: `this node does not serve ${tier}` };
    const state = engine.state;
    if (state.status !== 'ready' || state.models.length === 0) {
      return { ok: false, reason: 'not-ready', message: `the ${tier} engine is ${state.status}` };
    }
    if (this.load(tier) >= this.#capacity)
      return { ok: false, reason: 'busy', message: `all ${this.#capacity} slots are busy` };
    return { ok: true, engine };
  }

  /** Take a slot for `tier`, or say why not. */
  admit(tier: string): Admission {
    const available = this.#availability(tier);
    if (!available.ok) return available;
    const { engine } = available;
    const state = engine.state;
    if (state.status !== 'ready') throw new Error('unreachable: availability checked the state');
    this.#setLoad(tier, this.load(tier) + 1);
    let released = false;
    return {
      ok: true,
      engine,
      model: state.models[0] ?? '',
      release: () => {
        if (released) return;
        released = true;
        this.#setLoad(tier, this.load(tier) - 1);
      },
    };
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
    const controller = this.#track(signal);
    try {
      yield* admission.engine.chat(request, { signal: controller.signal });
    } finally {
      this.#untrack(controller);
      admission.release();
    }
  }

  #track(parent?: AbortSignal): AbortController {
    const controller = new AbortController();
    if (parent) {
      if (parent.aborted) controller.abort(parent.reason);
      else parent.addEventListener('abort', () => controller.abort(parent.reason), { once: true });
    }
    this.#inFlight.add(controller);
    this.safeDispatchEvent('in-flight', { detail: { count: this.#inFlight.size } });
    return controller;
  }

  #setLoad(tier: string, load: number): void {
    this.#load.set(tier, Math.max(0, load));
    this.safeDispatchEvent('load', { detail: { tier, load: Math.max(0, load) } });
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
    const available = this.#availability(frame.tier);
    if (!available.ok) {
      await this.#refuse(channel, frame, available.reason, available.message);
      return;
    }
    const peerKey = peer.toString();
    // A quote holds no slot, but each costs a payer check and a timer: a peer gets no more quotes at once than
    // there are slots to run them. Beyond that it is told busy, so an honest requester waits in line.
    const negotiating = this.#negotiating.get(peerKey) ?? 0;
    if (negotiating >= this.#capacity) {
      await this.#refuse(
        channel,
        frame,
        'busy',
        `this requester already has ${negotiating} unanswered quote${negotiating === 1 ? '' : 's'}`,
      );
      return;
    }
    this.#negotiating.set(peerKey, negotiating + 1);
    let payment: WorkPayment;
    try {
      payment = await this.#agreePayment(channel, connection, frame, available.engine);
    } catch (error) {
      if (error instanceof PaymentRefused) await this.#refuse(channel, frame, 'payment', error.message);
      else {
        channel.abort(reasonText(error));
        this.#report(frame, 'refused', 0);
      }
      return;
    } finally {
      const left = (this.#negotiating.get(peerKey) ?? 1) - 1;
      if (left > 0) this.#negotiating.set(peerKey, left);
      else this.#negotiating.delete(peerKey);
    }
    const admission = this.admit(frame.tier);
    if (!admission.ok) {
      // The slot went to someone else meanwhile: the requester settles its reservation alone (nothing was
      // sent, so it pays nothing).
      await this.#refuse(channel, frame, admission.reason, admission.message);
      return;
    }
    await this.#run(channel, frame, admission, payment);
  }

  async #refuse(
    channel: FrameChannel<RequesterFrame, WorkerFrame>,
    frame: Extract<RequesterFrame, { t: 'request' }>,
    reason: RefusalReason,
    message: string,
  ): Promise<void> {
    await this.#finish(channel, { t: 'refused', reason, message });
    this.#report(frame, 'refused', 0);
  }

  /** Check the payer, quote, and take the requester's RESERVE. */
  async #agreePayment(
    channel: FrameChannel<RequesterFrame, WorkerFrame>,
    connection: Connection,
    frame: Extract<RequesterFrame, { t: 'request' }>,
    engine: Engine,
  ): Promise<WorkPayment> {
    const payments = this.#components.payments;
    const peer = connection.remotePeer;
    if (!payments) throw new Error('unreachable: a paid request without payments');
    if (peer.type !== 'Ed25519') throw new PaymentRefused('requests are paid from Ed25519 accounts only');
    const requester = { account: peer.publicKey.raw, peer: peer.toString() };
    const problem = await payments.checkPayer(requester, AbortSignal.timeout(this.#payerCheckTimeoutMs));
    if (problem) throw new PaymentRefused(problem);
    const self = this.#components.selfPeerId ?? '';
    const quoted = payments.quote(
      requester,
      frame.tier,
      frame.request,
      this.#components.shareholders?.(frame.tier, engine) ?? [{ peerId: self, share: 1 }],
    );
    if (!quoted.ok) throw new PaymentRefused(quoted.problem);
    await channel.write({ t: 'quote', quote: quoted.payment.quote });
    let answer: RequesterFrame;
    try {
      answer = await channel.read(this.#reserveTimeoutMs);
    } catch (error) {
      if (error instanceof InferProtocolError)
        throw new PaymentRefused(`no RESERVE within ${this.#reserveTimeoutMs} ms of the quote`);
      throw error;
    }
    if (answer.t === 'cancel') throw new Error('cancelled by the requester');
    if (answer.t !== 'reserve') throw new PaymentRefused('a quote is answered with a RESERVE');
    const refused = await quoted.payment.acceptReserve(
      answer.block,
      AbortSignal.timeout(this.#requestTimeoutMs),
    );
    if (refused) throw new PaymentRefused(refused);
    return quoted.payment;
  }

  async #run(
    channel: FrameChannel<RequesterFrame, WorkerFrame>,
    frame: Extract<RequesterFrame, { t: 'request' }>,
    admission: Extract<Admission, { ok: true }>,
    payment: WorkPayment | null,
  ): Promise<void> {
    const controller = this.#track();
    const timer = setTimeout(
      () => controller.abort(new Error('generation time limit')),
      this.#maxGenerationMs,
    );
    const requester = new RequesterFrames(channel, payment, controller, this.#maxGenerationMs + 60_000);
    let completionTokens = 0;
    let generation: AsyncIterator<ChatChunk> | null = null;
    let ended = false;
    try {
      // Start the engine before telling the requester: the engine's request overlaps the admitted frame.
      generation = admission.engine
        .chat(frame.request, { signal: controller.signal })
        [Symbol.asyncIterator]();
      const firstChunk = generation.next();
      firstChunk.catch(() => {}); // observed below; a failure must not go unhandled while we write
      await channel.write({ t: 'admitted', model: admission.model });
      const batcher = new DeltaBatcher((deltas) => channel.write({ t: 'deltas', deltas }), {
        maxBatchBytes: MAX_BATCH_BYTES,
        highWaterBytes: 4 * MAX_BATCH_BYTES,
      });
      for (let next = await firstChunk; !next.done; next = await generation.next()) {
        const chunk = next.value;
        if (chunk.type === 'delta') {
          for (const piece of splitOversized(chunk)) {
            if (payment) {
              if (payment.budget === 0) {
                // Everything sent must reach the requester before it can acknowledge it.
                await batcher.drain();
                await requester.awaitBudget(this.#ackTimeoutMs);
              }
              payment.sent(piece);
            }
            await batcher.push(piece);
          }
          continue;
        }
        await batcher.drain();
        completionTokens = chunk.usage.completionTokens;
        await channel.write({
          t: 'end',
          usage: chunk.usage,
          finishReason: chunk.finishReason,
          ...(chunk.servedBy ? { servedBy: chunk.servedBy } : {}),
          ...(payment ? { receipt: payment.receipt(chunk.usage.promptTokens) } : {}),
        });
        ended = true;
      }
      if (!ended) throw new Error('the engine ended the stream without usage');
      if (payment) await requester.settle(this.#settleWaitMs);
      await channel.close();
      this.#report(frame, 'completed', completionTokens);
    } catch (error) {
      // Stop the engine's generation whatever failed (the requester's stream, the engine itself).
      void generation?.return?.(undefined).catch(() => {});
      if (ended) {
        // The reply was delivered; only the payment's last step failed.
        payment?.unsettled();
        channel.abort(reasonText(error));
        this.#report(frame, 'completed', completionTokens);
      } else {
        payment?.unsettled();
        const cancelled = controller.signal.aborted;
        const message = cancelled ? reasonText(controller.signal.reason) : reasonText(error);
        await this.#finish(channel, { t: 'error', code: cancelled ? 'cancelled' : 'engine-failed', message });
        this.#report(frame, cancelled ? 'cancelled' : 'failed', completionTokens);
      }
    } finally {
      clearTimeout(timer);
      requester.stop();
      this.#untrack(controller);
      admission.release();
    }
  }

  /** Best effort: the requester may already be gone. */
  async #finish(channel: FrameChannel<RequesterFrame, WorkerFrame>, frame: WorkerFrame): Promise<void> {
    try {
      await channel.write(frame, AbortSignal.timeout(2_000));
      await channel.close();
    } catch {
      channel.abort('could not deliver the final frame');
    }
  }

  #report(
    frame: Extract<RequesterFrame, { t: 'request' }>,
    outcome: WorkerRequestEvent['outcome'],
    tokens: number,
  ) {
    this.safeDispatchEvent('request', {
      detail: { id: frame.id, tier: frame.tier, outcome, completionTokens: tokens },
    });
  }
}

/** The payment was refused before anything ran: the requester is told why. */
class PaymentRefused extends Error {
  override readonly name = 'PaymentRefused';
}

/** An engine may hand us one enormous delta; no frame may exceed the wire limit. */
function splitOversized(delta: ChatDeltaChunk): ChatDeltaChunk[] {
  if (deltaSizeBound(delta) <= MAX_BATCH_BYTES || delta.toolCalls || delta.reasoningContent) return [delta];
  const content = delta.content ?? '';
  const step = Math.floor(MAX_BATCH_BYTES / 3) - 32;
  const pieces: ChatDeltaChunk[] = [];
  for (let start = 0; start < content.length; start += step) {
    pieces.push({ type: 'delta', content: content.slice(start, start + step) });
  }
  return pieces;
}
