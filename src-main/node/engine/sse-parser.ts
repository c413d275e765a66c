// A Server-Sent Events parser with bounded buffering: it holds at most one unfinished line plus the data of
// one unfinished event, so a stream of any length is read in constant memory and an endless line is an
// error, not an out-of-memory. Bytes from an engine are untrusted (CONVENTIONS.md §6).
import { EngineProtocolError } from './errors.ts';

/** One dispatched event: its `data:` lines joined with newlines. Comments are not events. */
export interface SseEvent {
  readonly data: string;
}

export interface SseParserInit {
  /** The longest line or event (in UTF-16 code units) accepted; longer is a protocol error. Default 1 MiB. */
  readonly maxEventChars?: number;
  /** Called with the text of each comment line (`: generation_stats {…}` → `generation_stats {…}`). */
  readonly onComment?: (text: string) => void;
}

export const DEFAULT_MAX_SSE_EVENT_CHARS = 1024 * 1024;

export class SseParser {
  readonly #decoder = new TextDecoder('utf-8', { fatal: true });
  readonly #maxEventChars: number;
  readonly #onComment: ((text: string) => void) | undefined;
  #pending = '';
  #data: string[] = [];
  #dataChars = 0;
  #highWaterMark = 0;

  constructor(init: SseParserInit = {}) {
    this.#maxEventChars = init.maxEventChars ?? DEFAULT_MAX_SSE_EVENT_CHARS;
    this.#onComment = init.onComment;
  }

  /** Characters held right now (the unfinished line and event). */
  get bufferedChars(): number {
    return this.#pending.length + this.#dataChars;
  }

  /** The most characters ever held at once: stays near one event's size however long the stream. */
  get highWaterMark(): number {
    return this.#highWaterMark;
  }

  /** Feed bytes; returns the events they completed, in order. */
  push(bytes: Uint8Array): SseEvent[] {
    let text: string;
    try {
      text = this.#decoder.decode(bytes, { stream: true });
    } catch {
      throw new EngineProtocolError('the engine sent a stream that is not valid UTF-8');
    }
    const events: SseEvent[] = [];
    let buffer = this.#pending + text;
    let start = 0;
    for (let newline = buffer.indexOf('\n', start); newline !== -1; newline = buffer.indexOf('\n', start)) {
      const end = newline > start && buffer.charCodeAt(newline - 1) === 13 ? newline - 1 : newline;
      const event = this.#line(buffer.slice(start, end));
      if (event) events.push(event);
      start = newline + 1;
    }
    buffer = start === 0 ? buffer : buffer.slice(start);
    if (buffer.length > this.#maxEventChars) {
      throw new EngineProtocolError(
        `the engine sent a line longer than ${this.#maxEventChars} characters without ending it`,
      );
    }
    this.#pending = buffer;
    this.#highWaterMark = Math.max(this.#highWaterMark, this.bufferedChars);
    return events;
  }

  /** The stream ended: an unterminated final event is dropped, as the SSE standard says. */
  end(): void {
    this.#pending = '';
    this.#data = [];
    this.#dataChars = 0;
  }

  #line(line: string): SseEvent | null {
    if (line === '') {
      if (this.#data.length === 0) return null;
      const event = { data: this.#data.join('\n') };
      this.#data = [];
      this.#dataChars = 0;
      return event;
    }
    if (line.charCodeAt(0) === 58 /* ':' */) {
      this.#onComment?.(line.slice(1).trimStart());
      return null;
    }
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field !== 'data') return null; // event, id, retry: not used by chat streams
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    this.#dataChars += value.length;
    if (this.#dataChars > this.#maxEventChars) {
      throw new EngineProtocolError(`the engine sent an event larger than ${this.#maxEventChars} characters`);
    }
    this.#data.push(value);
    this.#highWaterMark = Math.max(this.#highWaterMark, this.#dataChars);
    return null;
  }
}
