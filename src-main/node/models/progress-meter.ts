// Download rate and time left, from the bytes of the last few seconds (a whole-download average would hide a
// stall; a single chunk's rate would jump about).

const WINDOW_MS = 5000;

export interface DownloadProgress {
  readonly receivedBytes: number;
  readonly totalBytes: number;
  /** Over the last few seconds; 0 until two samples exist. */
  readonly bytesPerSecond: number;
  /** Seconds left at that rate; null while the rate is unknown. */
  readonly etaSeconds: number | null;
}

export class ProgressMeter {
  readonly #samples: { at: number; bytes: number }[] = [];
  readonly #totalBytes: number;
  readonly #now: () => number;

  constructor(totalBytes: number, now: () => number = Date.now) {
    this.#totalBytes = totalBytes;
    this.#now = now;
  }

  /** Record the bytes received so far and return the progress. */
  update(receivedBytes: number): DownloadProgress {
    const at = this.#now();
    this.#samples.push({ at, bytes: receivedBytes });
    while (this.#samples.length > 2 && at - this.#samples[0]!.at > WINDOW_MS) this.#samples.shift();
    const first = this.#samples[0]!;
    const seconds = (at - first.at) / 1000;
    const bytesPerSecond = seconds > 0 ? Math.max(0, (receivedBytes - first.bytes) / seconds) : 0;
    const remaining = Math.max(0, this.#totalBytes - receivedBytes);
    return {
      receivedBytes,
      totalBytes: this.#totalBytes,
      bytesPerSecond: Math.round(bytesPerSecond),
      etaSeconds: remaining === 0 ? 0 : bytesPerSecond > 0 ? Math.ceil(remaining / bytesPerSecond) : null,
    };
  }

  /** Forget the rate (after a pause or a reconnect the old samples mislead). */
  reset(): void {
    this.#samples.length = 0;
  }
}
