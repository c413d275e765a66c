// The local API server (DESIGN.md §9): 127.0.0.1 only, a key on every call (constant-time compare), the Host
// header checked against loopback names (DNS rebinding), no CORS, a size limit on every body. Routes are a
// table of handlers; `/api/ws` upgrades are checked here and handed to the WebSocket endpoint.
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ApiPortInUseError } from './errors.ts';
import { isApiPath, serveStaticFile } from './static-files.ts';

export interface ApiRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  /** The whole body, already bounded by maxBodyBytes. */
  readonly body: Uint8Array;
  /** Aborted when the client goes away. */
  readonly signal: AbortSignal;
}

/** A JSON reply, or a server-sent event stream (each item one `data:` payload, already serialised). */
export type ApiResponse =
  | { readonly status: number; readonly body: unknown }
  | { readonly status: number; readonly eventStream: AsyncIterable<string> };

export type ApiRoute = (request: ApiRequest) => ApiResponse | Promise<ApiResponse>;

/** Receives authorised upgrade requests for its path. */
export interface ApiUpgradeHandler {
  readonly path: string;
  /** Browsers cannot set headers on a WebSocket: the handler says where its key travels. */
  keyFromRequest(request: IncomingMessage): string | null;
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface ApiServerComponents {
  readonly apiKey: string;
  /** `"GET /api/status"` → handler. */
  readonly routes: ReadonlyMap<string, ApiRoute>;
  readonly upgrade?: ApiUpgradeHandler;
  /** The built dashboard, served without a key at every GET outside /api and /v1. */
  readonly staticDir?: string;
  /** Unexpected handler failures, to log with context. */
  readonly onInternalError?: (error: unknown, route: string) => void;
}

export interface ApiServerInit {
  /** 0 picks a free port. */
  readonly port?: number;
  readonly maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

export class ApiServer {
  readonly #components: ApiServerComponents;
  readonly #port: number;
  readonly #maxBody: number;
  readonly #keyDigest: Buffer;
  #server: Server | null = null;

  constructor(components: ApiServerComponents, init: ApiServerInit = {}) {
    this.#components = components;
    this.#port = init.port ?? 0;
    this.#maxBody = init.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#keyDigest = digest(components.apiKey);
  }

  async start(): Promise<void> {
    const server = createServer({ requestTimeout: 30_000, headersTimeout: 10_000 }, (req, res) => {
      void this.#handle(req, res);
    });
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.#upgrade(req, socket, head),
    );
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new ApiPortInUseError(this.#port) : error),
      );
      server.listen({ host: '127.0.0.1', port: this.#port, exclusive: true }, resolve);
    });
    this.#server = server;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server === null) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  get port(): number {
    const address = this.#server?.address() as AddressInfo | null | undefined;
    if (!address) throw new Error('api server not started');
    return address.port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  #hostAllowed(req: IncomingMessage): boolean {
    const host = req.headers.host;
    if (host === undefined) return false;
    const match = /^(\[::1\]|[^:]+):(\d+)$/.exec(host);
    if (!match) return false;
    return LOOPBACK_HOSTS.has(match[1]!.toLowerCase()) && Number(match[2]) === this.port;
  }

  #keyMatches(candidate: string | null): boolean {
    if (candidate === null) return false;
    // Compare fixed-length digests: timingSafeEqual needs equal lengths, and the length must not leak either.
    return timingSafeEqual(digest(candidate), this.#keyDigest);
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://127.0.0.1');
    } catch {
      return send(res, 400, error('bad request line', 'invalid_request_error'));
    }
    if (!this.#hostAllowed(req)) return send(res, 403, error('host not allowed', 'permission_error'));
    const staticDir = this.#components.staticDir;
    if (staticDir !== undefined && (method === 'GET' || method === 'HEAD') && !isApiPath(url.pathname)) {
      // The page holds no secret; it gets the key from its #fragment, which browsers never send.
      try {
        return await serveStaticFile(staticDir, url.pathname, method, res);
      } catch (failure) {
        this.#components.onInternalError?.(failure, `${method} ${url.pathname}`);
        return send(res, 500, error('internal error', 'api_error'));
      }
    }
    if (!this.#keyMatches(keyFromHeaders(req))) {
      return send(res, 401, error('missing or wrong API key', 'authentication_error'));
    }
    const routeName = `${method} ${url.pathname}`;
    const route = this.#components.routes.get(routeName);
    if (route === undefined) {
      const known = [...this.#components.routes.keys()].some((key) => key.endsWith(` ${url.pathname}`));
      return send(
        res,
        known ? 405 : 404,
        error(known ? 'method not allowed' : 'not found', 'invalid_request_error'),
      );
    }
    const declared = Number(req.headers['content-length'] ?? '0');
    if (!Number.isFinite(declared) || declared > this.#maxBody) {
      res.setHeader('connection', 'close');
      return send(res, 413, error(`body larger than ${this.#maxBody} bytes`, 'invalid_request_error'));
    }
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client went away'));
    });
    const body = await readBody(req, this.#maxBody);
    if (body === null) {
      res.setHeader('connection', 'close');
      return send(res, 413, error(`body larger than ${this.#maxBody} bytes`, 'invalid_request_error'));
    }
    try {
      const result = await route({
        method,
        path: url.pathname,
        query: url.searchParams,
        body,
        signal: controller.signal,
      });
      if ('eventStream' in result)
        await sendEventStream(res, result.status, result.eventStream, controller.signal);
      else send(res, result.status, result.body);
    } catch (failure) {
      this.#components.onInternalError?.(failure, routeName);
      send(res, 500, error('internal error', 'api_error'));
    }
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const handler = this.#components.upgrade;
    const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
    const reject = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    if (!this.#hostAllowed(req)) return reject('403 Forbidden');
    if (handler === undefined || path !== handler.path) return reject('404 Not Found');
    if (!this.#keyMatches(keyFromHeaders(req) ?? handler.keyFromRequest(req)))
      return reject('401 Unauthorized');
    handler.handleUpgrade(req, socket, head);
  }
}

function keyFromHeaders(req: IncomingMessage): string | null {
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return auth.slice('Bearer '.length).trim();
  const header = req.headers['x-api-key'];
  return typeof header === 'string' ? header.trim() : null;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Reads at most `limit` bytes; null when the body is larger (the rest is not read). */
async function readBody(req: IncomingMessage, limit: number): Promise<Uint8Array | null> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    total += chunk.length;
    if (total > limit) {
      req.destroy();
      return null;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

/** OpenAI's error shape, so OpenAI clients show our messages. */
function error(message: string, type: string): { error: { message: string; type: string } } {
  return { error: { message, type } };
}

/** Streams server-sent events with backpressure; stops (and ends the source) when the client goes away. */
async function sendEventStream(
  res: ServerResponse,
  status: number,
  events: AsyncIterable<string>,
  signal: AbortSignal,
): Promise<void> {
  res.writeHead(status, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    connection: 'keep-alive',
  });
  res.flushHeaders();
  for await (const data of events) {
    if (signal.aborted || res.destroyed) break;
    if (!res.write(`data: ${data}\n\n`)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          res.off('drain', done);
          res.off('close', done);
          resolve();
        };
        res.on('drain', done);
        res.on('close', done);
      });
    }
  }
  if (!res.destroyed) res.end();
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
  });
  res.end(text);
}
