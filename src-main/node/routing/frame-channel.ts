// Typed, size-limited frames over one libp2p stream. Every read has a deadline: a peer that goes silent, or
// closes before we start reading (the EOF race in TOOLCHAIN.md), cannot hang us.
import type { Stream } from '@libp2p/interface';
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils';
import type { FrameDecode } from '../../../src-shared/protocol/infer-frames.ts';
import { InferProtocolError, InferStreamEndedError } from './errors.ts';

export interface FrameChannelCodec<In, Out> {
  readonly maxInBytes: number;
  readonly decode: (bytes: Uint8Array) => FrameDecode<In>;
  readonly encode: (frame: Out) => Uint8Array;
}

export class FrameChannel<In, Out> {
  readonly stream: Stream;
  readonly #lp: LengthPrefixedStream<Stream>;
  readonly #codec: FrameChannelCodec<In, Out>;

  constructor(stream: Stream, codec: FrameChannelCodec<In, Out>) {
    this.stream = stream;
    this.#codec = codec;
    this.#lp = lpStream(stream, { maxDataLength: codec.maxInBytes });
  }

  /** The next frame; throws InferProtocolError for a bad frame, a closed stream or a missed deadline. */
  async read(timeoutMs: number, signal?: AbortSignal): Promise<In> {
    const deadline = AbortSignal.timeout(timeoutMs);
    let bytes: Uint8Array;
    try {
      const list = await this.#lp.read({ signal: signal ? AbortSignal.any([deadline, signal]) : deadline });
      bytes = list.subarray();
    } catch (error) {
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
  }
}
