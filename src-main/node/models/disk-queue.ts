// One download at a time per disk: parallel writes to one disk only slow each other down (and on a spinning
// disk, badly), and a second download could take the space the first one checked for.
import { stat } from 'node:fs/promises';

export class DiskQueue {
  readonly #tails = new Map<number, Promise<void>>();

  /** Run `task` once every earlier task on the disk holding `dir` has finished. */
  async run<T>(dir: string, task: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const device = (await stat(dir)).dev;
    const previous = this.#tails.get(device) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(device, tail);
    try {
      await waitOrAbort(previous, signal);
      return await task();
    } finally {
      release();
      if (this.#tails.get(device) === tail) this.#tails.delete(device);
    }
  }
}

function waitOrAbort(promise: Promise<void>, signal: AbortSignal | undefined): Promise<void> {
  if (signal === undefined) return promise;
  signal.throwIfAborted();
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      () => {
        signal.removeEventListener('abort', onAbort);
        resolve();
      },
      (error: Error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
