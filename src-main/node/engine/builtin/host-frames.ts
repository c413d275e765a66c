// Framing between the node and its llama.cpp host process: a 4-byte big-endian length, then that many bytes
// of UTF-8 JSON. Each side refuses frames above its limit, so neither can make the other buffer without bound.

/** A frame longer than the reader accepts; the channel cannot be trusted after it. */
export class FrameTooLargeError extends Error {
  override readonly name = 'FrameTooLargeError';
}

const HEADER_BYTES = 4;

export function encodeFrame(message: unknown, maxBytes: number): Buffer {
  const body = Buffer.from(JSON.stringify(message), 'utf8');
  if (body.length > maxBytes) {
    throw new FrameTooLargeError(`a ${body.length}-byte message is over the ${maxBytes}-byte limit`);
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  frame.writeUInt32BE(body.length, 0);
  body.copy(frame, HEADER_BYTES);
  return frame;
}

/** Collects bytes and returns each complete frame's body, decoded as UTF-8 (invalid UTF-8 is refused). */
export class FrameReader {
  readonly #maxBytes: number;
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  #buffer: Buffer = Buffer.alloc(0);

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  push(chunk: Buffer): string[] {
    this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
    const bodies: string[] = [];
    while (this.#buffer.length >= HEADER_BYTES) {
      const length = this.#buffer.readUInt32BE(0);
      if (length > this.#maxBytes) {
        throw new FrameTooLargeError(`a ${length}-byte frame is over the ${this.#maxBytes}-byte limit`);
      }
      if (this.#buffer.length < HEADER_BYTES + length) break;
      bodies.push(this.#decoder.decode(this.#buffer.subarray(HEADER_BYTES, HEADER_BYTES + length)));
      this.#buffer = this.#buffer.subarray(HEADER_BYTES + length);
    }
    return bodies;
  }
}
