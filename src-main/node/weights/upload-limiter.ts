// The upload cap (Settings → bytes per second the node may send to peers): a virtual clock (GCRA) that
// releases each chunk at the moment the cap allows. Concurrent senders queue behind each other. An idle
// moment earns up to `burstMs` of sending ahead: a peer asks for its next blocks a round trip after the last
// arrived, and without that credit those gaps went unused (the bench measured 34–78 % of the cap). Over any
// window of W seconds the bytes released stay within cap × (W + burst) plus one chunk: for the 30 s the cap
// is judged over, within 7 %.

/** Seconds of sending ahead an idle uploader may earn. */
export const UPLOAD_BURST_MS = 2000;

/** 0 or less: no cap. */
export class UploadLimiter {
  #bytesPerSecond: number;
  /** When everything released so far would have been sent at the cap (the theoretical arrival time). */
  #tat = 0;
  readonly #now: () => number;
  readonly #burstMs: number;

  constructor(bytesPerSecond: number, now: () => number = Date.now, burstMs = UPLOAD_BURST_MS) {
    this.#bytesPerSecond = bytesPerSecond;
    this.#now = now;
    this.#burstMs = burstMs;
  }

  get bytesPerSecond(): number {
    return this.#bytesPerSecond;
  }

  set bytesPerSecond(value: number) {
    this.#bytesPerSecond = value;
    this.#tat = 0;
  }

  /** Book `bytes` and return how many ms the sender must wait before sending them (0: at once). */
  reserve(bytes: number): number {
    if (this.#bytesPerSecond <= 0) return 0;
    const at = this.#now();
    const tat = Math.max(this.#tat, at);
    this.#tat = tat + (bytes * 1000) / this.#bytesPerSecond;
    return Math.max(0, tat - this.#burstMs - at);
  }

  /** Wait until `bytes` may be sent. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    const wait = this.reserve(bytes);
    if (wait <= 0) return;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, wait);
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason as Error);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
