// The upload cap (Settings → bytes per second the node may send to peers): a virtual clock that releases
// each block at the moment the cap allows. Concurrent senders queue behind each other, so over any window the
// bytes released stay within the cap plus one block.

/** 0 or less: no cap. */
export class UploadLimiter {
  #bytesPerSecond: number;
  #nextFreeAt = 0;
  readonly #now: () => number;

  constructor(bytesPerSecond: number, now: () => number = Date.now) {
    this.#bytesPerSecond = bytesPerSecond;
    this.#now = now;
  }

  get bytesPerSecond(): number {
    return this.#bytesPerSecond;
  }

  set bytesPerSecond(value: number) {
    this.#bytesPerSecond = value;
    this.#nextFreeAt = 0;
  }

  /** Wait until `bytes` may be sent. */
  async take(bytes: number, signal?: AbortSignal): Promise<void> {
    if (this.#bytesPerSecond <= 0) return;
    const at = this.#now();
    const start = Math.max(at, this.#nextFreeAt);
    this.#nextFreeAt = start + (bytes * 1000) / this.#bytesPerSecond;
    const wait = start - at;
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
