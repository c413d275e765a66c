// The lifecycle every part of the node shares (the js-libp2p pattern): start, then stop in reverse order. A
// failed start stops what already started; a part that fails to stop does not keep the others running.

/** A part of the node with a lifecycle. */
export interface Startable {
  start(): Promise<void> | void;
  stop(): Promise<void> | void;
}

/** What can be stopped (a started part, or the clean-up of something that started without an object). */
export interface Stoppable {
  stop(): Promise<void> | void;
}

/** The parts started so far, stopped last-first. */
export class StartedParts {
  readonly #parts: Stoppable[] = [];

  /** Starts `part` and remembers it; a part whose start throws is not remembered (it stopped itself). */
  async start<T extends Startable>(part: T): Promise<T> {
    await part.start();
    this.#parts.push(part);
    return part;
  }

  /** Remembers something already started, or a clean-up step to run at its place in the order. */
  add(part: Stoppable): void {
    this.#parts.push(part);
  }

  /** Stops every part, newest first; failures are reported, and the rest still stop. */
  async stopAll(onError: (error: unknown) => void): Promise<void> {
    while (this.#parts.length > 0) {
      const part = this.#parts.pop()!;
      try {
        await part.stop();
      } catch (error) {
        onError(error);
      }
    }
  }
}

/** A clean-up step as a Stoppable. */
export function onStop(stop: () => Promise<void> | void): Stoppable {
  return { stop };
}
