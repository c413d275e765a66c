// Requests that found every member busy wait here, first come first served. Only the head retries (when woken
// by news of a free slot, or by its retry timer), so a full cluster is not hammered by every waiting request.
import { QueueFullError, QueueTimeoutError } from './errors.ts';

export interface WaitingLineOptions {
  readonly maxWaiting: number;
  /** How long one request may wait in all. */
  readonly timeoutMs: number;
  /** How often the head retries without news. */
  readonly retryMs: number;
}

interface Waiter {
  readonly onPosition: (position: number) => void;
  wake: () => void;
}

/** A place in line: `turn()` resolves when this request should try again; `leave()` when done. */
export interface PlaceInLine {
  turn(signal?: AbortSignal): Promise<void>;
  leave(): void;
}

export class WaitingLine {
  readonly #options: WaitingLineOptions;
  readonly #waiters: Waiter[] = [];

  constructor(options: WaitingLineOptions) {
    this.#options = options;
  }

  get length(): number {
    return this.#waiters.length;
  }

  /** Join the line; position 1 is next. Throws QueueFullError when the line is full. */
  join(onPosition: (position: number) => void, describe: string): PlaceInLine {
    if (this.#waiters.length >= this.#options.maxWaiting) {
      throw new QueueFullError(
        `every ${describe} node is busy and ${this.#options.maxWaiting} requests are already waiting; try again shortly`,
      );
    }
    const waiter: Waiter = { onPosition, wake: () => {} };
    this.#waiters.push(waiter);
    onPosition(this.#waiters.length);
    const deadline = Date.now() + this.#options.timeoutMs;
    return {
      turn: (signal) =>
        new Promise<void>((resolve, reject) => {
          const remaining = deadline - Date.now();
          if (remaining <= 0) {
            reject(
              new QueueTimeoutError(
                `waited ${Math.round(this.#options.timeoutMs / 1000)} s for a free ${describe} node; every one stayed busy`,
              ),
            );
            return;
          }
          const isHead = () => this.#waiters[0] === waiter;
          const done = (outcome: () => void) => {
            clearTimeout(retry);
            clearTimeout(expire);
            signal?.removeEventListener('abort', onAbort);
            waiter.wake = () => {};
            outcome();
          };
          const onAbort = () =>
            done(() =>
              reject(
                signal?.reason instanceof Error ? signal.reason : new Error('the request was cancelled'),
              ),
            );
          waiter.wake = () => {
            if (isHead()) done(resolve);
          };
          const retry = setTimeout(() => waiter.wake(), this.#options.retryMs);
          const expire = setTimeout(
            () =>
              done(() =>
                reject(
                  new QueueTimeoutError(
                    `waited ${Math.round(this.#options.timeoutMs / 1000)} s for a free ${describe} node; every one stayed busy`,
                  ),
                ),
              ),
            remaining,
          );
          if (signal?.aborted) onAbort();
          else signal?.addEventListener('abort', onAbort, { once: true });
        }),
      leave: () => {
        const index = this.#waiters.indexOf(waiter);
        if (index === -1) return;
        this.#waiters.splice(index, 1);
        this.#waiters.forEach((other, position) => other.onPosition(position + 1));
        // The new head may try at once: a slot may be free already.
        this.#waiters[0]?.wake();
      },
    };
  }

  /** News of a free slot (a heartbeat with spare capacity, a finished request): the head tries now. */
  notify(): void {
    this.#waiters[0]?.wake();
  }
}
