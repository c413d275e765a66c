// A reply as it streams back to the requester (/og/infer): deltas in order, then usage; for a paid request
// the acks on the way, and at the end the last ack and the co-signed receipt with the SETTLE. A reply that
// ends any other way is settled alone for what arrived. Each delta passes the payment before it is handed on:
// one beyond the reservation is refused and stops the worker (security finding 5), and a reply's text is
// capped in total, paid or not, so a non-streamed reply cannot grow without bound (finding 17).
import type { ChatChunk } from '../../../src-shared/protocol/chat.ts';
import type { RequesterFrame, WorkerFrame } from '../../../src-shared/protocol/infer-frames.ts';
import { InferProtocolError, MemberLostError, ReplyTooLargeError } from './errors.ts';
import type { FrameChannel } from './frame-channel.ts';
import { deltaText, type RequestPayment } from './payments.ts';

/** The most text (UTF-16 code units of delta text, about bytes for ASCII) one reply may carry. */
export const MAX_REPLY_TEXT = 16 * 1024 * 1024;
/** The most deltas one reply may carry (empty ones included). */
export const MAX_REPLY_DELTAS = 1_000_000;

/**
 * Gives up on a reply whose member membership declared down while its stream stays silent: a frozen worker
 * (SIGSTOP, a hung machine) or one cut off by the network keeps TCP open and would otherwise hold the request
 * for the whole idle timeout. `gone` is asked every `checkMs`; the stream must have been silent `graceMs`.
 */
export interface MemberWatch {
  readonly gone: () => boolean;
  readonly checkMs: number;
  readonly graceMs: number;
}

export async function* streamReply(
  channel: FrameChannel<WorkerFrame, RequesterFrame>,
  payment: RequestPayment | null,
  idleTimeoutMs: number,
  signal?: AbortSignal,
  watch?: MemberWatch,
  /** Takes the quote a paid reply's end offers for the next request (issue 17). */
  onNextQuote?: (quote: Uint8Array) => void,
): AsyncGenerator<ChatChunk> {
  let lastFrameAt = Date.now();
  const lost = new AbortController();
  const watcher = watch
    ? setInterval(() => {
        if (Date.now() - lastFrameAt >= watch.graceMs && watch.gone())
          lost.abort(new MemberLostError('the worker was declared down and went silent'));
      }, watch.checkMs)
    : null;
  watcher?.unref();
  const readSignal = watch ? (signal ? AbortSignal.any([signal, lost.signal]) : lost.signal) : signal;
  let finished = false;
  let workerFailed = false;
  let text = 0;
  let deltas = 0;
  const onAbort = () => {
    // Tell the worker, so its engine stops and its slot frees; then drop the stream.
    // A stream already closed cannot take the cancel: that is fine, it is dropped either way.
    void channel
      .write({ t: 'cancel' }, AbortSignal.timeout(1_000))
      .catch(() => undefined)
      .finally(() => channel.abort('cancelled'));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    for (;;) {
      const frame = await channel.read(idleTimeoutMs, readSignal);
      lastFrameAt = Date.now();
      switch (frame.t) {
        case 'deltas': {
          for (const delta of frame.deltas) {
            text += deltaText(delta).length;
            if (++deltas > MAX_REPLY_DELTAS || text > MAX_REPLY_TEXT)
              throw new ReplyTooLargeError('the reply is larger than a reply may be');
            // Acknowledge before handing the text on: the worker streams on while the reader reads. A delta
            // the reservation does not cover throws here, before anyone sees it.
            const ack = payment?.received([delta]) ?? null;
            if (ack) await channel.write({ t: 'ack', ack: await ack }, signal);
            yield delta;
          }
          break;
        }
        case 'end':
          finished = true;
          if (payment) await settle(channel, payment, frame.receipt ?? null, signal);
          if (payment && frame.nextQuote) onNextQuote?.(frame.nextQuote);
          yield {
            type: 'usage',
            usage: frame.usage,
            finishReason: frame.finishReason,
            ...(frame.servedBy ? { servedBy: frame.servedBy } : {}),
          };
          await channel.close();
          return;
        case 'error':
          finished = true;
          throw new InferProtocolError(`the worker stopped: ${frame.message}`);
        case 'admitted':
        case 'refused':
        case 'quote':
          throw new InferProtocolError(`unexpected ${frame.t} frame`);
      }
    }
  } catch (error) {
    // The worker's failure (not this node's cancel) counts against it in local reputation.
    if (!signal?.aborted) workerFailed = true;
    throw error;
  } finally {
    if (watcher) clearInterval(watcher);
    // Cut off, cancelled or failed: pay for what arrived, no more (nothing, when nothing did).
    if (payment) settleQuietly(payment, workerFailed ? 'worker-failed' : 'ended');
    signal?.removeEventListener('abort', onAbort);
    // Left early (the caller stopped iterating) or failed: make sure the worker stops too.
    if (!finished && !signal?.aborted) onAbort();
  }
}

/** The end of a paid reply: the last ack, then the co-signed receipt with the SETTLE. */
async function settle(
  channel: FrameChannel<WorkerFrame, RequesterFrame>,
  payment: RequestPayment,
  receipt: Uint8Array | null,
  signal?: AbortSignal,
): Promise<void> {
  try {
    const ack = payment.finalAck();
    if (ack) await channel.write({ t: 'ack', ack: await ack }, signal);
    if (receipt === null) return;
    const settle = await payment.settle(receipt);
    await channel.write({ t: 'settle', receipt: settle.receipt, block: settle.block }, signal);
  } catch {
    // A receipt that does not match what arrived, or a worker gone: the finally of #stream settles alone
    // for what arrived (a SETTLE already committed is never repeated).
  }
}

/** Settle alone for what arrived; a failure leaves the reservation open (it is never paid twice). */
export function settleQuietly(payment: RequestPayment, how: 'ended' | 'worker-failed'): void {
  try {
    payment.settleAlone(how);
  } catch {
    // The own chain refused the SETTLE (the store failed): the reserved amount stays locked, not lost.
  }
}
