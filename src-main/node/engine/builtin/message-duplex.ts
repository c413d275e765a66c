// A byte stream carried by messages (Electron's utilityProcess ↔ process.parentPort): each write is posted as
// one Uint8Array, each Uint8Array received is read in order. The frames on it keep their size limits
// (host-frames.ts); a message that is not bytes ends the stream, as garbage on a pipe would.
import { Duplex } from 'node:stream';

/** A message on the channel that is not a Uint8Array. */
export class NotBytesMessageError extends Error {
  override readonly name = 'NotBytesMessageError';
}

export class MessageDuplex extends Duplex {
  readonly #post: (bytes: Uint8Array) => void;

  constructor(post: (bytes: Uint8Array) => void) {
    super();
    this.#post = post;
  }

  /** Hands one received message to the reading side. */
  receive(message: unknown): void {
    if (this.destroyed || this.readableEnded) return;
    if (!(message instanceof Uint8Array)) {
      this.destroy(
        new NotBytesMessageError(`a message of type ${describe(message)} where bytes were expected`),
      );
      return;
    }
    this.push(Buffer.from(message.buffer, message.byteOffset, message.byteLength));
  }

  /** The other side is gone: the reading side ends. */
  finish(): void {
    if (!this.destroyed && !this.readableEnded) this.push(null);
  }

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    try {
      // An exact copy: a pooled Buffer's view would carry its whole backing store into the message.
      this.#post(new Uint8Array(chunk));
      done();
    } catch (error) {
      done(error as Error);
    }
  }
}

function describe(message: unknown): string {
  if (message === null) return 'null';
  if (typeof message === 'object') return message.constructor?.name ?? 'object';
  return typeof message;
}
