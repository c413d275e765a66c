// A virtual clock for the membership simulator: timers fire in time order (ties in the order they were set),
// time jumps from one event to the next, so 10,000 nodes' intervals run as fast as the CPU allows.
import type { MembershipClock, TimerHandle } from '../../src-main/node/membership/membership-transport.ts';

interface Scheduled {
  readonly at: number;
  readonly order: number;
  readonly callback: () => void;
  cancelled: boolean;
}

export class VirtualClock implements MembershipClock {
  #now = 0;
  #order = 0;
  readonly #heap: Scheduled[] = [];

  now(): number {
    return this.#now;
  }

  get pending(): number {
    return this.#heap.length;
  }

  setTimer(delayMs: number, callback: () => void): TimerHandle {
    const event: Scheduled = {
      at: this.#now + Math.max(0, delayMs),
      order: this.#order++,
      callback,
      cancelled: false,
    };
    this.#push(event);
    return event;
  }

  clearTimer(handle: TimerHandle): void {
    (handle as Scheduled).cancelled = true;
  }

  /** Run every event up to and including `untilMs`, then set the clock to it. */
  runUntil(untilMs: number): void {
    const heap = this.#heap;
    while (heap.length > 0 && heap[0]!.at <= untilMs) {
      const event = this.#pop();
      if (event.cancelled) continue;
      this.#now = event.at;
      event.callback();
    }
    this.#now = Math.max(this.#now, untilMs);
  }

  #push(event: Scheduled): void {
    const heap = this.#heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(event, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = event;
  }

  #pop(): Scheduled {
    const heap = this.#heap;
    const top = heap[0]!;
    const last = heap.pop()!;
    if (heap.length > 0) {
      let i = 0;
      for (;;) {
        const left = 2 * i + 1;
        if (left >= heap.length) break;
        const right = left + 1;
        const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
        if (!before(heap[child]!, last)) break;
        heap[i] = heap[child]!;
        i = child;
      }
      heap[i] = last;
    }
    return top;
  }
}

function before(a: Scheduled, b: Scheduled): boolean {
  return a.at < b.at || (a.at === b.at && a.order < b.order);
}
