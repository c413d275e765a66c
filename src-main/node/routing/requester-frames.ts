// What a requester sends while its reply streams (the worker side of /og/infer): acks that raise the payment's
// budget, cancel, and the SETTLE at the end. A requester that closes or goes silent stops the generation.
import type { RequesterFrame, WorkerFrame } from '../../../src-shared/protocol/infer-frames.ts';
import {
  InferProtocolError,
  InferStreamEndedError,
  PaymentStepRefusedError,
  RequesterCancelledError,
  RequesterGoneError,
  RequesterTimeoutError,
} from './errors.ts';
import type { FrameChannel } from './frame-channel.ts';
import { reasonText } from './reason-text.ts';
import type { WorkPayment } from './payments.ts';

/**
 * Reads what the requester sends while its reply streams: acks (which raise the budget), cancel, the SETTLE
 * at the end. A requester that closes or goes silent stops the generation.
 */
export class RequesterFrames {
  readonly #channel: FrameChannel<RequesterFrame, WorkerFrame>;
  readonly #payment: WorkPayment | null;
  readonly #controller: AbortController;
  #wake: (() => void) | null = null;
  #settle: Extract<RequesterFrame, { t: 'settle' }> | null = null;
  #closed: InferProtocolError | null = null;
  readonly #stopped = new AbortController();

  constructor(
    channel: FrameChannel<RequesterFrame, WorkerFrame>,
    payment: WorkPayment | null,
    controller: AbortController,
    timeoutMs: number,
  ) {
    this.#channel = channel;
    this.#payment = payment;
    this.#controller = controller;
    // Reading starts at once: a requester that cancels or closes early is noticed (EOF race).
    void this.#read(timeoutMs);
  }

  stop(): void {
    this.#stopped.abort();
  }

  /** Resolves once an ack raised the budget above 0; throws when the requester stopped acknowledging. */
  async awaitBudget(timeoutMs: number): Promise<void> {
    await this.#until(
      () => this.#payment === null || this.#payment.budget > 0,
      timeoutMs,
      'the requester stopped acknowledging tokens',
    );
  }

  /** Waits for the requester's SETTLE and hands it to the ledger. */
  async settle(timeoutMs: number): Promise<void> {
    await this.#until(() => this.#settle !== null, timeoutMs, 'no SETTLE from the requester');
    const problem = await this.#payment!.settle(this.#settle!.receipt, this.#settle!.block);
    if (problem) throw new PaymentStepRefusedError(problem);
  }

  /** Wait for `done()`, re-checked whenever a frame arrives; throws when the stream ends or time runs out. */
  async #until(done: () => boolean, timeoutMs: number, timeout: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      this.#controller.signal.throwIfAborted();
      if (this.#closed) throw this.#closed;
      const left = deadline - Date.now();
      if (left <= 0) throw new RequesterTimeoutError(timeout);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }

  async #read(timeoutMs: number): Promise<void> {
    try {
      for (;;) {
        const frame = await this.#channel.read(timeoutMs, this.#stopped.signal);
        if (frame.t === 'ack' && this.#payment) {
          const problem = this.#payment.acknowledge(frame.ack);
          if (problem) throw new PaymentStepRefusedError(problem);
        } else if (frame.t === 'settle' && this.#payment && !this.#settle) {
          this.#settle = frame;
          return;
        } else if (frame.t === 'cancel') {
          throw new RequesterCancelledError('cancelled by the requester');
        } else {
          throw new InferProtocolError(`unexpected ${frame.t} frame`);
        }
        this.#wake?.();
      }
    } catch (error) {
      if (this.#stopped.signal.aborted) return;
      const reason =
        error instanceof InferStreamEndedError
          ? new RequesterGoneError('the requester went away')
          : error instanceof InferProtocolError
            ? error
            : new InferProtocolError(reasonText(error));
      this.#closed = reason;
      this.#controller.abort(reason);
    } finally {
      this.#wake?.();
    }
  }
}
