// The contract over WebSocket (`/api/ws` of the node's local API): JSON text frames, one per message.
import { integer, string } from './schema.ts';

export const WS_PATH = '/api/ws';
/** Offered by clients and echoed by the server; lets either side refuse a different protocol version. */
export const WS_SUBPROTOCOL = 'opengateway.v1';
/**
 * Browsers cannot set headers on a WebSocket, so the API key travels as a second offered subprotocol
 * `key.<apiKey>` (never in the URL, which ends up in logs and history). The server never echoes it.
 */
export const WS_KEY_PROTOCOL_PREFIX = 'key.';
/** Largest frame either side accepts; chat histories are the largest legitimate payloads. */
export const WS_MAX_FRAME_BYTES = 1024 * 1024;
/** A client may have this many calls outstanding on one connection. */
export const WS_MAX_CALLS_IN_FLIGHT = 32;

/** The subprotocols a client offers for a given API key. */
export function wsProtocolsFor(apiKey: string): string[] {
  return [WS_SUBPROTOCOL, `${WS_KEY_PROTOCOL_PREFIX}${apiKey}`];
}

/**
 * The API key offered in a `Sec-WebSocket-Protocol` header, or null. For the HTTP server's key check on
 * upgrade; compare it in constant time.
 */
export function apiKeyFromProtocols(header: string | undefined): string | null {
  if (!header) return null;
  const offered = header.split(',').map((entry) => entry.trim());
  if (!offered.includes(WS_SUBPROTOCOL)) return null;
  const key = offered.find((entry) => entry.startsWith(WS_KEY_PROTOCOL_PREFIX));
  return key ? key.slice(WS_KEY_PROTOCOL_PREFIX.length) : null;
}

export type ClientFrame = {
  readonly t: 'call';
  readonly id: number;
  readonly name: string;
  readonly input: unknown;
};

export type ServerFrame =
  | { readonly t: 'result'; readonly id: number; readonly result: unknown }
  | { readonly t: 'notify'; readonly name: string; readonly payload: unknown };

const frameId = integer(0, Number.MAX_SAFE_INTEGER);
const callName = string({ min: 1, max: 100 });

function asRecord(value: unknown): Record<string, unknown> | null {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;
}

/** Decodes a client frame; throws SchemaError (or SyntaxError for non-JSON) on anything else. */
export function decodeClientFrame(text: string): ClientFrame {
  const record = asRecord(JSON.parse(text));
  if (!record || record.t !== 'call') throw new SyntaxError('expected a call frame');
  const extra = Object.keys(record).filter((key) => !['t', 'id', 'name', 'input'].includes(key));
  if (extra.length > 0) throw new SyntaxError(`unknown field ${extra[0]}`);
  return {
    t: 'call',
    id: frameId.parse(record.id, 'id'),
    name: callName.parse(record.name, 'name'),
    input: record.input ?? null,
  };
}

/** Decodes a server frame on the client; throws on anything else. */
export function decodeServerFrame(text: string): ServerFrame {
  const record = asRecord(JSON.parse(text));
  if (record?.t === 'result')
    return { t: 'result', id: frameId.parse(record.id, 'id'), result: record.result };
  if (record?.t === 'notify')
    return { t: 'notify', name: callName.parse(record.name, 'name'), payload: record.payload };
  throw new SyntaxError('expected a result or notify frame');
}
