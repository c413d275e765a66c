// A real HTTP server on 127.0.0.1 that serves model files the way a mirror does (Range requests, 206 answers),
// and misbehaves on request: cuts the connection mid-file, corrupts bytes, ignores ranges, stalls.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ServedRequest {
  readonly path: string;
  readonly range: string | null;
  /** Bytes of the body this server wrote for it. */
  bytesSent: number;
}

export interface FileBehaviour {
  /** Cut the connection of the next N requests after this many body bytes. */
  cutAfterBytes?: number;
  cutTimes?: number;
  /** Flip one byte of the body (a corrupt mirror or a broken disk). */
  corrupt?: boolean;
  /** Answer 200 with the whole file even when a range is asked for. */
  ignoreRange?: boolean;
  /** Answer every request with this status and no body. */
  status?: number;
  /** Send this many extra bytes after the file. */
  extraBytes?: number;
  /** Answer a range request with 206 but the whole file from byte 0 (a broken proxy). */
  wrongRange?: boolean;
  /** Stop sending (connection kept open) after this many body bytes, for the next N requests. */
  stallAfterBytes?: number;
  stallTimes?: number;
}

export class ModelFileServer {
  readonly requests: ServedRequest[] = [];
  readonly #files = new Map<string, { bytes: Uint8Array; behaviour: FileBehaviour }>();
  readonly #server: Server;
  #active = 0;
  /** The most requests that were being answered at once. */
  maxConcurrent = 0;

  constructor() {
    this.#server = createServer((req, res) => void this.#handle(req, res));
  }

  serve(path: string, bytes: Uint8Array, behaviour: FileBehaviour = {}): void {
    this.#files.set(path, { bytes, behaviour });
  }

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = req.url ?? '/';
    const record: ServedRequest = { path, range: req.headers.range ?? null, bytesSent: 0 };
    this.requests.push(record);
    const file = this.#files.get(path);
    if (file === undefined) {
      res.writeHead(404).end();
      return;
    }
    const { bytes, behaviour } = file;
    if (behaviour.status !== undefined) {
      res.writeHead(behaviour.status).end();
      return;
    }
    let body = behaviour.corrupt ? flipped(bytes) : bytes;
    if (behaviour.extraBytes) body = concat(body, new Uint8Array(behaviour.extraBytes).fill(7));
    const range = /^bytes=(\d+)-$/.exec(record.range ?? '');
    if (range && behaviour.wrongRange) {
      res.writeHead(206, {
        'content-range': `bytes 0-${bytes.length - 1}/${bytes.length}`,
        'content-length': String(body.length),
      });
    } else if (range && !behaviour.ignoreRange) {
      const from = Number(range[1]);
      if (from >= bytes.length) {
        res.writeHead(416, { 'content-range': `bytes */${bytes.length}` }).end();
        return;
      }
      res.writeHead(206, {
        'content-range': `bytes ${from}-${bytes.length - 1}/${bytes.length}`,
        'content-length': String(body.length - from),
      });
      body = body.subarray(from);
    } else {
      res.writeHead(200, { 'content-length': String(body.length), 'accept-ranges': 'bytes' });
    }
    const cut = behaviour.cutAfterBytes !== undefined && (behaviour.cutTimes ?? 1) > 0;
    if (cut) behaviour.cutTimes = (behaviour.cutTimes ?? 1) - 1;
    const stall = behaviour.stallAfterBytes !== undefined && (behaviour.stallTimes ?? 1) > 0;
    if (stall) behaviour.stallTimes = (behaviour.stallTimes ?? 1) - 1;
    this.#active += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.#active);
    try {
      const chunk = 16 * 1024;
      for (let at = 0; at < body.length; at += chunk) {
        let piece = body.subarray(at, at + chunk);
        if (cut && record.bytesSent + piece.length > behaviour.cutAfterBytes!) {
          piece = piece.subarray(0, behaviour.cutAfterBytes! - record.bytesSent);
          await write(res, piece);
          record.bytesSent += piece.length;
          res.socket?.destroy();
          return;
        }
        if (stall && record.bytesSent >= behaviour.stallAfterBytes!) {
          // Silence with the connection open, until the client gives up and closes it.
          await new Promise((resolve) => res.once('close', resolve));
          return;
        }
        await write(res, piece);
        record.bytesSent += piece.length;
        // Let the client read between chunks, as a real network would.
        await new Promise((resolve) => setImmediate(resolve));
      }
      res.end();
    } catch {
      res.destroy();
    } finally {
      this.#active -= 1;
    }
  }
}

function write(res: ServerResponse, piece: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    if (res.write(piece)) resolve();
    else res.once('drain', resolve);
    res.once('error', reject);
  });
}

function flipped(bytes: Uint8Array): Uint8Array {
  const copy = new Uint8Array(bytes);
  const at = Math.floor(copy.length / 2);
  copy[at] = copy[at]! ^ 0xff;
  return copy;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
