// The last lines an engine wrote, for the UI and for the reason of a failure. Fixed size: a chatty engine
// cannot grow the node's memory.

export const DEFAULT_LOG_RING_LINES = 200;
/** Longer lines are cut: one runaway line (a dumped tensor, a progress bar) must not fill the ring. */
export const MAX_LOG_LINE_CHARS = 2000;

export class LogRing {
  readonly #capacity: number;
  readonly #lines: string[] = [];
  #next = 0;

  constructor(capacity = DEFAULT_LOG_RING_LINES) {
    this.#capacity = Math.max(1, capacity);
  }

  push(line: string): void {
    if (this.#lines.length < this.#capacity) {
      this.#lines.push(line);
    } else {
      this.#lines[this.#next] = line;
    }
    this.#next = (this.#next + 1) % this.#capacity;
  }

  /** All kept lines, oldest first. */
  lines(): string[] {
    if (this.#lines.length < this.#capacity) return [...this.#lines];
    return [...this.#lines.slice(this.#next), ...this.#lines.slice(0, this.#next)];
  }

  /** The newest `count` lines, oldest first. */
  last(count: number): string[] {
    const all = this.lines();
    return all.slice(Math.max(0, all.length - count));
  }
}
