// One stream per recently used worker, opened ahead so the next request to it skips stream setup (~1–2 ms of
// time to first token). Opened after a request finishes (opening one during a request slowed that request),
// closed unused before the worker's own request timeout (10 s) would reset it.
import type { Stream } from '@libp2p/interface';

interface Spare {
  readonly stream: Promise<Stream | null>;
  readonly expires: number;
}

export class SpareStreams {
  readonly #open: (peerId: string) => Promise<Stream>;
  readonly #ttlMs: number;
  readonly #spares = new Map<string, Spare>();
  #closed = false;

  /** `ttlMs` 0 turns spares off. */
  constructor(open: (peerId: string) => Promise<Stream>, ttlMs: number) {
    this.#open = open;
    this.#ttlMs = ttlMs;
  }

  /** The worker's spare if it is still open and fresh (it is then the caller's), else null. */
  async take(peerId: string): Promise<Stream | null> {
    const spare = this.#spares.get(peerId);
    this.#spares.delete(peerId);
    if (!spare) return null;
    const stream = await spare.stream;
    if (
      !stream ||
      spare.expires < Date.now() ||
      stream.status !== 'open' ||
      stream.writeStatus !== 'writable'
    ) {
      stream?.abort(new Error('spare stream expired'));
      return null;
    }
    return stream;
  }

  /** Open a spare to `peerId` unless one is waiting already. Failures are silent: the next request dials. */
  prepare(peerId: string): void {
    if (this.#ttlMs <= 0 || this.#closed || this.#spares.has(peerId)) return;
    const stream = this.#open(peerId).catch(() => null);
    const expires = Date.now() + this.#ttlMs;
    this.#spares.set(peerId, { stream, expires });
    setTimeout(() => {
      if (this.#spares.get(peerId)?.expires === expires) this.#drop(peerId);
    }, this.#ttlMs).unref();
  }

  /** Drop every spare (the node is stopping). */
  close(): void {
    this.#closed = true;
    for (const peerId of [...this.#spares.keys()]) this.#drop(peerId);
  }

  #drop(peerId: string): void {
    const spare = this.#spares.get(peerId);
    this.#spares.delete(peerId);
    void spare?.stream.then((stream) => stream?.abort(new Error('spare stream not needed')));
  }
}
