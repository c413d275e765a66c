// Sends deltas as fast as the requester reads them, and batches what arrives together or while the requester
// reads slower than the engine writes: no added latency for the first token, few small frames under load
// (small frames are slow on yamux),
// and bounded memory when the requester stalls (we stop pulling from the engine, which then backpressures).
import type { ChatDeltaChunk } from '../../../src-shared/protocol/chat.ts';

/** Upper bound of a delta's CBOR size: UTF-8 takes at most 3 bytes per UTF-16 unit, plus framing. */
export function deltaSizeBound(delta: ChatDeltaChunk): number {
  let chars = (delta.content?.length ?? 0) + (delta.reasoningContent?.length ?? 0);
  for (const call of delta.toolCalls ?? []) {
    chars += (call.id?.length ?? 0) + (call.name?.length ?? 0) + (call.arguments?.length ?? 0) + 16;
  }
  return chars * 3 + 32;
}

export interface DeltaBatcherOptions {
  /** Bytes (bound) per frame. */
  readonly maxBatchBytes: number;
  /** Pending bytes (bound) above which the producer waits. */
  readonly highWaterBytes: number;
}

export class DeltaBatcher {
  readonly #send: (deltas: ChatDeltaChunk[]) => Promise<void>;
  readonly #options: DeltaBatcherOptions;
  #pending: ChatDeltaChunk[] = [];
  #pendingBytes = 0;
  #flushing: Promise<void> | null = null;
  #failure: { error: unknown } | null = null;
  #sentAny = false;

  constructor(send: (deltas: ChatDeltaChunk[]) => Promise<void>, options: DeltaBatcherOptions) {
    this.#send = send;
    this.#options = options;
  }

  /** Queue a delta; resolves at once unless too much is pending, then once the requester has caught up. */
  async push(delta: ChatDeltaChunk): Promise<void> {
    this.#throwIfFailed();
    this.#pending.push(delta);
    this.#pendingBytes += deltaSizeBound(delta);
    // Start sending on the next turn of the event loop: the deltas an engine parsed from one network read
    // arrive in one turn and leave in one frame, at the cost of microseconds, not a timer's milliseconds.
    // The first delta goes at once: time to first token is what a person waits for.
    this.#flushing ??= this.#sentAny
      ? new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.#flush())
      : this.#flush();
    this.#sentAny = true;
    if (this.#pendingBytes > this.#options.highWaterBytes) await this.#flushing;
    this.#throwIfFailed();
  }

  /** Resolves when every queued delta is sent. */
  async drain(): Promise<void> {
    while (this.#flushing) await this.#flushing;
    this.#throwIfFailed();
  }

  async #flush(): Promise<void> {
    try {
      while (this.#pending.length > 0 && !this.#failure) {
        let bytes = 0;
        let count = 0;
        for (const delta of this.#pending) {
          const size = deltaSizeBound(delta);
          if (count > 0 && bytes + size > this.#options.maxBatchBytes) break;
          bytes += size;
          count += 1;
        }
        const batch = this.#pending.splice(0, count);
        this.#pendingBytes -= bytes;
        await this.#send(batch);
      }
    } catch (error) {
      this.#failure = { error };
    } finally {
      this.#flushing = null;
    }
  }

  #throwIfFailed(): void {
    if (this.#failure) throw this.#failure.error;
  }
}
