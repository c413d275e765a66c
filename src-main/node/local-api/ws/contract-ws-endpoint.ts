// The ipc contract over WebSocket, for `/api/ws` of the node's local API. The HTTP server checks the API
// key and the Host header on the upgrade request, then hands the socket here; everything after that
// (frame limits, strict decoding, input validation, notifications, backpressure) is this module's job.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import {
  apiKeyFromProtocols,
  decodeClientFrame,
  dispatchCall,
  WS_MAX_CALLS_IN_FLIGHT,
  WS_MAX_FRAME_BYTES,
  WS_PATH,
  WS_SUBPROTOCOL,
  type ContractHandlers,
  type NotificationSource,
  type ServerFrame,
} from '../../../../src-shared/ipc/index.ts';

/** Close codes this endpoint uses (RFC 6455 §7.4.1). */
export const WS_CLOSE = {
  goingAway: 1001,
  unsupportedData: 1003,
  invalidPayload: 1007,
  policyViolation: 1008,
  tooBig: 1009,
  tryAgainLater: 1013,
} as const;

export interface ContractWsEndpointInit {
  readonly handlers: ContractHandlers<AbortSignal>;
  readonly notifications: NotificationSource;
  /** Bugs inside handlers, to be logged with context. */
  readonly onInternalError?: (error: unknown, call: string) => void;
  /** A client that lets this much pile up unread is dropped rather than growing memory without bound. */
  readonly maxBufferedBytes?: number;
  /** Dashboards connected at once; more are refused with 503 (security finding 18). */
  readonly maxConnections?: number;
  /** How often each client is pinged; one that has not answered the previous ping by then is dropped. */
  readonly pingIntervalMs?: number;
}

/** Fits api-server.ts's ApiUpgradeHandler, so the node passes the endpoint as its `wsUpgrade`. */
export interface ContractWsEndpoint {
  readonly path: typeof WS_PATH;
  /** The API key offered as the `key.<apiKey>` subprotocol (browsers cannot set headers on a WebSocket). */
  keyFromRequest(request: IncomingMessage): string | null;
  /** For the HTTP server's `upgrade` event, after it has accepted the key and the Host header. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void;
  /** Serves the contract on an already accepted socket. */
  attach(socket: WebSocket): void;
  readonly connectionCount: number;
  /** Closes every connection (1001) and stops accepting new ones. */
  close(): Promise<void>;
}

const DEFAULT_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
/** A person has a few tabs open; a local process opening hundreds is not a dashboard. */
export const DEFAULT_WS_MAX_CONNECTIONS = 32;
const DEFAULT_PING_INTERVAL_MS = 30_000;

export function createContractWsEndpoint(init: ContractWsEndpointInit): ContractWsEndpoint {
  const maxBuffered = init.maxBufferedBytes ?? DEFAULT_MAX_BUFFERED_BYTES;
  const sockets = new Set<WebSocket>();
  const server = new WebSocketServer({
    noServer: true,
    maxPayload: WS_MAX_FRAME_BYTES,
    perMessageDeflate: false,
    // Echo our protocol only; the key protocol the client also offered is never sent back.
    handleProtocols: (protocols) => (protocols.has(WS_SUBPROTOCOL) ? WS_SUBPROTOCOL : false),
  });

  const maxConnections = init.maxConnections ?? DEFAULT_WS_MAX_CONNECTIONS;
  let closed = false;

  function attach(socket: WebSocket): void {
    if (socket.protocol !== WS_SUBPROTOCOL) {
      socket.close(WS_CLOSE.policyViolation, `expected subprotocol ${WS_SUBPROTOCOL}`);
      return;
    }
    sockets.add(socket);
    const lifetime = new AbortController();
    let inFlight = 0;
    // A client that vanished without closing (a sleeping laptop, a killed tab) is found by its silence.
    let answered = true;
    socket.on('pong', () => (answered = true));
    const pinger = setInterval(() => {
      if (!answered) {
        socket.terminate();
        return;
      }
      answered = false;
      socket.ping();
    }, init.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS);
    pinger.unref();

    const send = (frame: ServerFrame): void => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > maxBuffered) {
        socket.close(WS_CLOSE.tryAgainLater, 'client is not reading');
        return;
      }
      socket.send(JSON.stringify(frame));
    };

    const unsubscribe = init.notifications.subscribe((notification) =>
      send({ t: 'notify', name: notification.name, payload: notification.payload }),
    );

    socket.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        socket.close(WS_CLOSE.unsupportedData, 'text frames only');
        return;
      }
      let frame;
      try {
        frame = decodeClientFrame(rawToString(data));
      } catch {
        // A client that breaks the framing is not ours (or is broken): drop it rather than guess.
        socket.close(WS_CLOSE.invalidPayload, 'invalid frame');
        return;
      }
      if (inFlight >= WS_MAX_CALLS_IN_FLIGHT) {
        send({
          t: 'result',
          id: frame.id,
          result: { ok: false, error: { kind: 'invalid-input', message: 'Too many calls at once.' } },
        });
        return;
      }
      inFlight += 1;
      const id = frame.id;
      void dispatchCall(init.handlers, frame.name, frame.input, { signal: lifetime.signal }, init)
        .then((result) => send({ t: 'result', id, result }))
        .catch((error: unknown) => {
          // dispatchCall turns handler failures into results; reaching here is a bug in sending.
          init.onInternalError?.(error, frame.name);
          socket.terminate();
        })
        .finally(() => (inFlight -= 1));
    });

    socket.on('close', () => {
      clearInterval(pinger);
      sockets.delete(socket);
      unsubscribe();
      lifetime.abort(new Error('the client disconnected'));
    });
    socket.on('error', () => {
      // ws emits 'error' for oversized or malformed frames and then closes with the right code;
      // the 'close' handler does the cleanup.
    });
  }

  return {
    path: WS_PATH,
    keyFromRequest: (request) => apiKeyFromProtocols(request.headers['sec-websocket-protocol']),
    handleUpgrade(request, socket, head) {
      if (closed || sockets.size >= maxConnections) {
        socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
        return;
      }
      server.handleUpgrade(request, socket, head, (ws) => attach(ws));
    },
    attach,
    get connectionCount() {
      return sockets.size;
    },
    async close() {
      closed = true;
      for (const socket of sockets) socket.close(WS_CLOSE.goingAway, 'node is stopping');
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function rawToString(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString('utf8');
  return data.toString('utf8');
}
