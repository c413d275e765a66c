// The node's end of the channel to a llama.cpp host process: sends commands, decodes events strictly and
// hands each to the engine. A frame that is too large or does not decode ends the link (the engine then
// kills and restarts the host): a host that speaks garbage is as broken as one that crashed.
import type { Duplex } from 'node:stream';
import { encodeFrame, FrameReader } from './host-frames.ts';
import {
  decodeHostEvent,
  MAX_COMMAND_BYTES,
  MAX_EVENT_BYTES,
  type HostCommand,
  type HostEvent,
} from './host-protocol.ts';

export interface HostLinkHandlers {
  readonly onEvent: (event: HostEvent) => void;
  /** The channel closed or broke; `why` says how. Called once. */
  readonly onClose: (why: string) => void;
}

export class HostLink {
  readonly #channel: Duplex;
  readonly #reader = new FrameReader(MAX_EVENT_BYTES);
  readonly #handlers: HostLinkHandlers;
  #closed = false;

  constructor(channel: Duplex, handlers: HostLinkHandlers) {
    this.#channel = channel;
    this.#handlers = handlers;
    channel.on('data', (chunk: Buffer) => this.#receive(chunk));
    channel.on('end', () => this.#close('the host closed its channel'));
    channel.on('close', () => this.#close('the host channel closed'));
    channel.on('error', (error) => this.#close(`the host channel failed: ${error.message}`));
  }

  get open(): boolean {
    return !this.#closed;
  }

  /** Sends a command; false when the link is already closed. Throws FrameTooLargeError for oversized ones. */
  send(command: HostCommand): boolean {
    if (this.#closed) return false;
    this.#channel.write(encodeFrame(command, MAX_COMMAND_BYTES));
    return true;
  }

  close(why: string): void {
    this.#close(why);
    this.#channel.destroy();
  }

  #receive(chunk: Buffer): void {
    if (this.#closed) return;
    let events: HostEvent[];
    try {
      events = this.#reader.push(chunk).map(decodeHostEvent);
    } catch (error) {
      this.close(`the host sent an invalid message: ${(error as Error).message}`);
      return;
    }
    for (const event of events) {
      if (this.#closed) return;
      this.#handlers.onEvent(event);
    }
  }

  #close(why: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#handlers.onClose(why);
  }
}
