// The contract over the node's `/api/ws`, for the dashboard served by a headless node (and the e2e tests).
// Reconnects with backoff; calls made while disconnected fail at once instead of hanging.
import {
  decodeServerFrame,
  wsProtocolsFor,
  type ContractTransport,
  type RawNotification,
} from '../../../src-shared/ipc/index.ts';

export type ConnectionState =
  | { readonly state: 'connecting'; readonly attempt: number }
  | { readonly state: 'open' }
  | {
      readonly state: 'closed';
      readonly attempt: number;
      readonly retryInMs: number;
      readonly reason: string;
    }
  | { readonly state: 'stopped' };

export interface WebSocketTransportInit {
  readonly url: string;
  readonly apiKey: string;
  readonly onStateChange?: (state: ConnectionState) => void;
  /** Injected for tests; defaults to the browser's (or Node 22's) global WebSocket. */
  readonly WebSocketImpl?: typeof WebSocket;
  /** Backoff bounds for reconnecting. */
  readonly minRetryMs?: number;
  readonly maxRetryMs?: number;
  /** How long one call may take before it fails (chat replies stream as notifications, not as one call). */
  readonly callTimeoutMs?: number;
}

export interface WebSocketTransport extends ContractTransport {
  /** Stops reconnecting and closes the socket; pending calls fail. */
  stop(): void;
}

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: ReturnType<typeof setTimeout>;
}

export function createWebSocketTransport(init: WebSocketTransportInit): WebSocketTransport {
  const Impl = init.WebSocketImpl ?? WebSocket;
  const minRetry = init.minRetryMs ?? 500;
  const maxRetry = init.maxRetryMs ?? 15_000;
  const callTimeout = init.callTimeoutMs ?? 30_000;
  const listeners = new Set<(notification: RawNotification) => void>();
  const pending = new Map<number, Pending>();
  let nextId = 1;
  let socket: WebSocket | null = null;
  let attempt = 0;
  let stopped = false;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;

  const failPending = (message: string): void => {
    for (const [id, entry] of pending) {
      clearTimeout(entry.timer);
      entry.reject(new Error(message));
      pending.delete(id);
    }
  };

  const connect = (): void => {
    attempt += 1;
    init.onStateChange?.({ state: 'connecting', attempt });
    const ws = new Impl(init.url, wsProtocolsFor(init.apiKey));
    socket = ws;
    ws.onopen = () => {
      attempt = 0;
      init.onStateChange?.({ state: 'open' });
    };
    ws.onmessage = (event: MessageEvent) => {
      if (typeof event.data !== 'string') return;
      let frame;
      try {
        frame = decodeServerFrame(event.data);
      } catch {
        ws.close(1007, 'invalid frame');
        return;
      }
      if (frame.t === 'notify') {
        for (const listener of [...listeners]) listener({ name: frame.name, payload: frame.payload });
        return;
      }
      const entry = pending.get(frame.id);
      if (!entry) return;
      pending.delete(frame.id);
      clearTimeout(entry.timer);
      entry.resolve(frame.result);
    };
    // Some implementations (Node's undici) report a refused upgrade only as 'error', without 'close'.
    ws.onerror = () => gone(ws, 'could not reach the node');
    ws.onclose = (event: CloseEvent) => gone(ws, event.reason || `code ${event.code}`);
  };

  const gone = (ws: WebSocket, reason: string): void => {
    if (socket !== ws) return;
    socket = null;
    if (ws.readyState !== Impl.CLOSED) ws.close();
    failPending('The connection to the node was lost.');
    if (stopped) return;
    const retryInMs = Math.min(maxRetry, minRetry * 2 ** Math.min(attempt - 1, 10));
    init.onStateChange?.({ state: 'closed', attempt, retryInMs, reason });
    retryTimer = setTimeout(connect, retryInMs);
  };

  connect();

  return {
    call(name, input) {
      const ws = socket;
      if (!ws || ws.readyState !== Impl.OPEN) return Promise.reject(new Error('Not connected to the node.'));
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`The node did not answer "${name}" in time.`));
        }, callTimeout);
        pending.set(id, { resolve, reject, timer });
        ws.send(JSON.stringify({ t: 'call', id, name, input }));
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop() {
      stopped = true;
      if (retryTimer) clearTimeout(retryTimer);
      failPending('Disconnected.');
      socket?.close(1000, 'closed by the app');
      socket = null;
      init.onStateChange?.({ state: 'stopped' });
    },
  };
}
