// Typed, size-limited frames over one libp2p stream. Every read has a deadline: a peer that goes silent, or
// closes before we start reading (the EOF race in TOOLCHAIN.md), cannot hang us.
import type { Stream } from '@libp2p/interface';
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils';
import type { FrameDecode } from '../../../src-shared/protocol/infer-frames.ts';
import { InboundBudgetError, InferProtocolError, InferStreamEndedError } from './errors.ts';
import type { InboundAllowance } from './inbound-budget.ts';

export interface FrameChannelCodec<In, Out> {
  readonly maxInBytes: number;
  readonly decode: (bytes: Uint8Array) => FrameDecode<In>;
  readonly encode: (frame: Out) => Uint8Array;
}

export interface FrameChannelOptions {
  /** Charge every arriving byte until its frame is read; a stream that does not fit is aborted. */
  readonly allowance?: InboundAllowance;
  /** Bytes this stream may hold unread (default: libp2p's 4 MiB). */
  readonly maxBufferBytes?: number;
  /** The first frame's own size limit, below the codec's (a peer not known yet). */
  readonly firstFrameMaxBytes?: number;
}

export class FrameChannel<In, Out> {
  readonly stream: Stream;
  readonly #lp: LengthPrefixedStream<Stream>;
  readonly #codec: FrameChannelCodec<In, Out>;
  readonly #allowance: InboundAllowance | undefined;
  /** lpStream reads its limit from this object at every read: the first frame's can be lower. */
  readonly #limits: { maxDataLength: number; maxLengthLength: number; maxBufferSize?: number };
  /** Bytes charged to the allowance and not yet consumed by a read. */
  #held = 0;
  #overBudget = false;
  #ended = false;

  constructor(stream: Stream, codec: FrameChannelCodec<In, Out>, options: FrameChannelOptions = {}) {
    this.stream = stream;
    this.#codec = codec;
    this.#limits = {
      maxDataLength: Math.min(options.firstFrameMaxBytes ?? codec.maxInBytes, codec.maxInBytes),
      maxLengthLength: varintLength(codec.maxInBytes),
      ...(options.maxBufferBytes === undefined ? {} : { maxBufferSize: options.maxBufferBytes }),
    };
    // Refused from its length prefix, before a byte of the body is awaited.
    this.#lp = lpStream(stream, this.#limits);
    this.#allowance = options.allowance;
    if (this.#allowance) {
      const allowance = this.#allowance;
      stream.addEventListener('message', (event) => {
        if (this.#ended || this.#overBudget) return;
        const bytes = event.data.byteLength;
        if (allowance.take(bytes)) {
          this.#held += bytes;
          return;
        }
        this.#overBudget = true;
        // After this dispatch: the byte stream's own listener still sees the message first.
        queueMicrotask(() =>
          stream.abort(new InboundBudgetError('the peer sent more unread data than this node holds for it')),
        );
      });
      stream.addEventListener('close', () => this.#releaseAll(), { once: true });
    }
  }

  #releaseAll(): void {
    this.#ended = true;
    if (this.#held > 0) this.#allowance?.give(this.#held);
    this.#held = 0;
  }

  #consumed(frameBytes: number): void {
    if (!this.#allowance) return;
    const bytes = Math.min(this.#held, frameBytes + varintLength(frameBytes));
    this.#held -= bytes;
    this.#allowance.give(bytes);
  }

  /** The next frame; throws InferProtocolError for a bad frame, a closed stream or a missed deadline. */
  async read(timeoutMs: number, signal?: AbortSignal): Promise<In> {
    const deadline = AbortSignal.timeout(timeoutMs);
    let bytes: Uint8Array;
    try {
      const list = await this.#lp.read({ signal: signal ? AbortSignal.any([deadline, signal]) : deadline });
      this.#limits.maxDataLength = this.#codec.maxInBytes;
      this.#consumed(list.byteLength);
      bytes = list.subarray();
    } catch (error) {
      if (this.#overBudget) throw new InboundBudgetError('the peer sent more unread data than allowed');
      if (signal?.aborted) throw signal.reason;
      if (deadline.aborted) throw new InferProtocolError(`no frame within ${timeoutMs} ms`);
      throw new InferStreamEndedError(
        `stream ended: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    const decoded = this.#codec.decode(bytes);
    if (!decoded.ok) throw new InferProtocolError(`bad frame: ${decoded.error}`);
    return decoded.frame;
  }

  /** Resolves once the frame is handed to the stream (waits while the peer reads slowly: backpressure). */
  async write(frame: Out, signal?: AbortSignal): Promise<void> {
    await this.#lp.write(this.#codec.encode(frame), signal ? { signal } : {});
  }

  async close(): Promise<void> {
    try {
      await this.stream.close({ signal: AbortSignal.timeout(2_000) });
    } catch {
      this.stream.abort(new Error('close timed out'));
    }
  }

  abort(reason: string): void {
    this.stream.abort(new InferProtocolError(reason));
    this.#releaseAll();
  }
}

function varintLength(value: number): number {
  let length = 1;
  for (let rest = value; rest >= 0x80; rest = Math.floor(rest / 0x80)) length += 1;
  return length;
}
