// The local API server (DESIGN.md §9): 127.0.0.1 only, a key on every call (constant-time compare), the Host
// header and any Origin checked (DNS rebinding, CSRF), no CORS, a size limit on every body, caps on
// connections and time limits on slow clients. Routes are a table of handlers; `/api/ws` upgrades are checked
// here and handed to the WebSocket endpoint. Nothing a client sends may throw out of a listener: every
// handler catches its own failures (security findings 2, 3, 18, 26).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { ApiPortInUseError, ApiServerNotStartedError } from './errors.ts';
import { BodyTooLargeError, errorBody, readBody, sendEventStream, sendJson } from './http-replies.ts';
import {
  ApiKeyCheck,
  isLoopbackHostPort,
  keyFromHeaders,
  originAllowed,
  parseRequestTarget,
} from './request-guards.ts';
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
  /** Open sockets at once (HTTP and WebSocket together); more are refused at accept. */
  readonly maxConnections?: number;
  /** Time for a client to send its headers (checked every `checkIntervalMs`). */
  readonly headersTimeoutMs?: number;
  /** Time for a client to send its whole request. */
  readonly requestTimeoutMs?: number;
  /** A socket with no traffic this long is closed (streams that wait for a worker send nothing either). */
  readonly idleTimeoutMs?: number;
  /** How often the server looks for clients past the header and request time limits. */
  readonly checkIntervalMs?: number;
  /** Origins besides this server's own whose pages may call (the e2e dashboard's preview server). */
  readonly allowedOrigins?: readonly string[];
}

export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Far above what a dashboard and a few OpenAI clients need; far below the process's file descriptors. */
export const DEFAULT_MAX_CONNECTIONS = 256;

export class ApiServer {
  readonly #components: ApiServerComponents;
  readonly #init: ApiServerInit;
  readonly #maxBody: number;
  readonly #key: ApiKeyCheck;
  readonly #origins: ReadonlySet<string>;
  #server: Server | null = null;
  #port = 0;

  constructor(components: ApiServerComponents, init: ApiServerInit = {}) {
    this.#components = components;
    this.#init = init;
    this.#maxBody = init.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.#key = new ApiKeyCheck(components.apiKey);
    this.#origins = new Set(init.allowedOrigins ?? []);
  }

  async start(): Promise<void> {
    const init = this.#init;
    const server = createServer(
      {
        requestTimeout: init.requestTimeoutMs ?? 30_000,
        headersTimeout: init.headersTimeoutMs ?? 10_000,
        // Node checks the two limits above only this often (30 s by default): slow-header clients lived ~40 s.
        connectionsCheckingInterval: init.checkIntervalMs ?? 1_000,
        keepAliveTimeout: 5_000,
      },
      (req, res) => {
        this.#handle(req, res).catch((failure: unknown) => this.#failed(failure, req, res));
      },
    );
    server.maxConnections = init.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
    server.setTimeout(init.idleTimeoutMs ?? 10 * 60_000, (socket) => socket.destroy());
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      // The socket is ours from here: a reset on it must not become an unhandled 'error' event.
      socket.on('error', () => socket.destroy());
      try {
        this.#upgrade(req, socket, head);
      } catch (failure) {
        this.#components.onInternalError?.(failure, 'upgrade');
        socket.destroy();
      }
    });
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'EADDRINUSE' ? new ApiPortInUseError(init.port ?? 0) : error),
      );
      server.listen({ host: '127.0.0.1', port: init.port ?? 0, exclusive: true }, resolve);
    });
    // Errors after listening (EMFILE on accept, …) are logged; the server keeps listening.
    server.on('error', (error) => this.#components.onInternalError?.(error, 'server'));
    this.#port = (server.address() as AddressInfo).port;
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
    if (this.#server === null) throw new ApiServerNotStartedError();
    return this.#port;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Open sockets right now (HTTP keep-alive, streams and upgraded WebSockets). */
  connectionCount(): Promise<number> {
    const server = this.#server;
    if (server === null) return Promise.resolve(0);
    return new Promise((resolve) => server.getConnections((_error, count) => resolve(count ?? 0)));
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    // A write to a client that reset the connection is its business, not a crash.
    res.on('error', () => res.destroy());
    req.on('error', () => req.destroy());
    const method = req.method ?? 'GET';
    const url = parseRequestTarget(req.url, this.#port);
    if (url === null) return sendJson(res, 400, errorBody('bad request target', 'invalid_request_error'));
    if (!isLoopbackHostPort(req.headers.host, this.#port))
      return sendJson(res, 403, errorBody('host not allowed', 'permission_error'));
    // Liveness for operators' probes (container HEALTHCHECK, systemd, monitoring): no key, and nothing in the
    // answer but "alive", so it tells a caller without the key nothing about the node.
    if (url.pathname === '/healthz' && method === 'GET') return sendJson(res, 200, { status: 'ok' });
    const staticDir = this.#components.staticDir;
    if (staticDir !== undefined && (method === 'GET' || method === 'HEAD') && !isApiPath(url.pathname)) {
      // The page holds no secret; it gets the key from its #fragment, which browsers never send.
      return serveStaticFile(staticDir, url.pathname, method, res);
    }
    if (!originAllowed(req.headers, this.#port, this.#origins))
      return sendJson(res, 403, errorBody('origin not allowed', 'permission_error'));
    if (!this.#key.matches(keyFromHeaders(req.headers))) {
      return sendJson(res, 401, errorBody('missing or wrong API key', 'authentication_error'));
    }
    const routeName = `${method} ${url.pathname}`;
    const route = this.#components.routes.get(routeName);
    if (route === undefined) {
      const known = [...this.#components.routes.keys()].some((key) => key.endsWith(` ${url.pathname}`));
      return sendJson(
        res,
        known ? 405 : 404,
        errorBody(known ? 'method not allowed' : 'not found', 'invalid_request_error'),
      );
    }
    const declared = Number(req.headers['content-length'] ?? '0');
    if (!Number.isFinite(declared) || declared > this.#maxBody) return this.#tooLarge(res);
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('client went away'));
    });
    let body: Uint8Array;
    try {
      body = await readBody(req, this.#maxBody);
    } catch (failure) {
      if (failure instanceof BodyTooLargeError) return this.#tooLarge(res);
      // The client hung up mid-body (or trickled past the request timeout): nobody is left to answer.
      res.destroy();
      return;
    }
    const result = await route({
      method,
      path: url.pathname,
      query: url.searchParams,
      body,
      signal: controller.signal,
    });
    if ('eventStream' in result)
      await sendEventStream(res, result.status, result.eventStream, controller.signal);
    else sendJson(res, result.status, result.body);
  }

  /** The last word on a request whose handler failed: logged, and a 500 if the client still listens. */
  #failed(failure: unknown, req: IncomingMessage, res: ServerResponse): void {
    this.#components.onInternalError?.(failure, `${req.method ?? '?'} ${(req.url ?? '').slice(0, 200)}`);
    try {
      sendJson(res, 500, errorBody('internal error', 'api_error'));
    } catch {
      res.destroy();
    }
  }

  #tooLarge(res: ServerResponse): void {
    res.setHeader('connection', 'close');
    sendJson(res, 413, errorBody(`body larger than ${this.#maxBody} bytes`, 'invalid_request_error'));
  }

  #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    const handler = this.#components.upgrade;
    const reject = (status: string): void => {
      socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    // Checked before anything else is read from the request: a malformed target must not throw (finding 2).
    const url = parseRequestTarget(req.url, this.#port);
    if (url === null) return reject('400 Bad Request');
    if (!isLoopbackHostPort(req.headers.host, this.#port)) return reject('403 Forbidden');
    if (!originAllowed(req.headers, this.#port, this.#origins)) return reject('403 Forbidden');
    if (handler === undefined || url.pathname !== handler.path) return reject('404 Not Found');
    if (!this.#key.matches(keyFromHeaders(req.headers) ?? handler.keyFromRequest(req)))
      return reject('401 Unauthorized');
    handler.handleUpgrade(req, socket, head);
  }
}
