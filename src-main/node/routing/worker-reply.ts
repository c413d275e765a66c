// The worker's reply to an admitted request (/og/infer): run the engine, stream its deltas in batches with
// backpressure, hold back once a paid request's allowance is used up until the requester acks, end with usage
// (and the receipt), wait for the SETTLE, and stop the engine whatever went wrong.
import type { ChatChunk, ChatDeltaChunk, ChatRequest } from '../../../src-shared/protocol/chat.ts';
import type { RequesterFrame, WorkerFrame } from '../../../src-shared/protocol/infer-frames.ts';
import { DeltaBatcher, deltaSizeBound } from './delta-batcher.ts';
import type { FrameChannel } from './frame-channel.ts';
import type { WorkPayment } from './payments.ts';
import { reasonText } from './reason-text.ts';
import { RequesterFrames } from './requester-frames.ts';
import type { Admission } from './worker-slots.ts';

const MAX_BATCH_BYTES = 64 * 1024;

/** How long a reply and the steps around it may take. */
export interface ReplyLimits {
  /** The longest a single generation may run. */
  readonly maxGenerationMs: number;
  /** How long streaming waits for the requester's acknowledgement once the allowance is used up. */
  readonly ackTimeoutMs: number;
  /** How long the worker waits for the SETTLE after the end of a paid reply. */
  readonly settleWaitMs: number;
}

/** One admitted request to answer; `controller` cancels it (the requester or the node going away). */
export interface ReplyJob {
  readonly channel: FrameChannel<RequesterFrame, WorkerFrame>;
  readonly request: ChatRequest;
  readonly admission: Extract<Admission, { ok: true }>;
  readonly payment: WorkPayment | null;
  /** A quote for the requester's next request, sent with the end of a paid reply (null: none). */
  readonly nextQuote?: () => Uint8Array | null;
  readonly controller: AbortController;
  /** Told how the request ended, before the slot is released. */
  readonly report: (outcome: 'completed' | 'cancelled' | 'failed', completionTokens: number) => void;
}

/** Answer one admitted request: how it ended is reported, not thrown (the requester or the engine failing). */
export async function runReply(job: ReplyJob, limits: ReplyLimits): Promise<void> {
  const { channel, admission, payment, controller } = job;
  const timer = setTimeout(
    () => controller.abort(new Error('generation time limit')),
    limits.maxGenerationMs,
  );
  const requester = new RequesterFrames(channel, payment, controller, limits.maxGenerationMs + 60_000);
  let completionTokens = 0;
  let generation: AsyncIterator<ChatChunk> | null = null;
  let ended = false;
  try {
    // Start the engine before telling the requester: the engine's request overlaps the admitted frame.
    generation = admission.engine.chat(job.request, { signal: controller.signal })[Symbol.asyncIterator]();
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
              await requester.awaitBudget(limits.ackTimeoutMs);
            }
            payment.sent(piece);
          }
          await batcher.push(piece);
        }
        continue;
      }
      await batcher.drain();
      completionTokens = chunk.usage.completionTokens;
      const nextQuote = payment ? (job.nextQuote?.() ?? null) : null;
      await channel.write({
        t: 'end',
        usage: chunk.usage,
        finishReason: chunk.finishReason,
        ...(chunk.servedBy ? { servedBy: chunk.servedBy } : {}),
        ...(payment ? { receipt: payment.receipt(chunk.usage.promptTokens) } : {}),
        ...(nextQuote ? { nextQuote } : {}),
      });
      ended = true;
    }
    if (!ended) throw new Error('the engine ended the stream without usage');
    if (payment) await requester.settle(limits.settleWaitMs);
    await channel.close();
    job.report('completed', completionTokens);
  } catch (error) {
    // Stop the engine's generation whatever failed (the requester's stream, the engine itself).
    void generation?.return?.(undefined).catch(() => {});
    if (ended) {
      // The reply was delivered; only the payment's last step failed.
      payment?.unsettled();
      channel.abort(reasonText(error));
      job.report('completed', completionTokens);
    } else {
      payment?.unsettled();
      const cancelled = controller.signal.aborted;
      const message = cancelled ? reasonText(controller.signal.reason) : reasonText(error);
      await sendFinalFrame(channel, { t: 'error', code: cancelled ? 'cancelled' : 'engine-failed', message });
      job.report(cancelled ? 'cancelled' : 'failed', completionTokens);
    }
  } finally {
    clearTimeout(timer);
    requester.stop();
  }
}

/** Best effort: the requester may already be gone. */
export async function sendFinalFrame(
  channel: FrameChannel<RequesterFrame, WorkerFrame>,
  frame: WorkerFrame,
): Promise<void> {
  try {
    await channel.write(frame, AbortSignal.timeout(2_000));
    await channel.close();
  } catch {
    channel.abort('could not deliver the final frame');
  }
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
