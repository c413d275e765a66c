// The /og/infer/1.0.0 wire format: length-prefixed CBOR frames, one map per frame with a `t` tag. Every frame
// from a peer is size-limited, strictly decoded and validated; a bad frame ends that stream, never the node.
//
// requester → worker: request (carrying a RESERVE when an earlier reply handed out a quote), [reserve], then (while streaming) acks and cancel, [settle] at the end
// worker → requester: [quote], admitted | refused, then deltas…, then end | error
//
// The bracketed frames are the payment (DESIGN.md §4, ref/ledger-design.md §4) between two nodes that keep
// a ledger: the worker quotes, the requester answers with its signed RESERVE, acknowledges every N tokens,
// and co-signs the worker's receipt before it sends its SETTLE. Their contents are ledger objects with their
// own strict decoders; here they are only size-bounded byte strings.
import { encode } from 'cborg';
import type { ChatDeltaChunk, ChatFinishReason, ChatRequest, ChatServingShare, ChatUsage } from './chat.ts';
import { parseChatRequest } from './chat-request-schema.ts';
import { isTierIdSyntax } from './protocol-ids.ts';
import { decodeStrictCborRecord } from './strict-cbor-record.ts';

export const INFER_WIRE_VERSION = 1;
/** A request frame: the chat request and room for the payment terms the ledger adds. */
export const MAX_REQUEST_FRAME_BYTES = 2 * 1024 * 1024;
/** Every frame the worker sends (deltas are batched up to about 16 KiB: small frames are slow on yamux). */
export const MAX_RESPONSE_FRAME_BYTES = 256 * 1024;
const MAX_DELTAS_PER_FRAME = 4096;
const MAX_MESSAGE_CHARS = 500;
const MAX_ID_CHARS = 64;
/** Ledger objects inside frames: a block, a quote, an ack, a receipt (each has its own tighter limit). */
const MAX_BLOCK_FIELD_BYTES = 8 * 1024;
const MAX_QUOTE_FIELD_BYTES = 4 * 1024;
const MAX_ACK_FIELD_BYTES = 1024;
const MAX_RECEIPT_FIELD_BYTES = 2 * 1024;

/** Why a worker refuses a request before running it. The requester tries another member for every one. */
export const REFUSAL_REASONS = [
  'busy',
  'paused',
  'not-ready',
  'unknown-tier',
  'bad-request',
  /** The payment did not hold: no ledger, reservation invalid or refused, requester revoked or in debt. */
  'payment',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

/** Why a stream failed after it was admitted. */
export const STREAM_ERROR_CODES = [
  'engine-failed',
  'cancelled',
  'timeout',
  'protocol',
  'shutting-down',
] as const;
export type StreamErrorCode = (typeof STREAM_ERROR_CODES)[number];

export type RequesterFrame =
  | {
      readonly t: 'request';
      readonly v: number;
      /** The requester's id for this request; logs on both sides name it. */
      readonly id: string;
      readonly tier: string;
      readonly request: ChatRequest;
      /**
       * The RESERVE for a quote the worker handed out earlier (`nextQuote` of an `end` frame), encoded: the
       * worker starts as soon as it checks, with no quote round trip. When it does not hold (stale, another
       * request's terms) the worker quotes afresh and the requester releases this reservation unused.
       */
      readonly reserve?: Uint8Array;
    }
  /** The requester's RESERVE block for the quote, encoded. */
  | { readonly t: 'reserve'; readonly block: Uint8Array }
  /** A cumulative acknowledgement, encoded. */
  | { readonly t: 'ack'; readonly ack: Uint8Array }
  /** The co-signed receipt and the SETTLE block that pays for it, both encoded. */
  | { readonly t: 'settle'; readonly receipt: Uint8Array; readonly block: Uint8Array }
  | { readonly t: 'cancel' };

export type WorkerFrame =
  /** The worker's signed quote, encoded: the requester reserves its maximum before anything runs. */
  | { readonly t: 'quote'; readonly quote: Uint8Array }
  | { readonly t: 'admitted'; readonly model: string }
  | { readonly t: 'refused'; readonly reason: RefusalReason; readonly message: string }
  | { readonly t: 'deltas'; readonly deltas: readonly ChatDeltaChunk[] }
  | {
      readonly t: 'end';
      readonly usage: ChatUsage;
      readonly finishReason: ChatFinishReason | null;
      readonly servedBy?: readonly ChatServingShare[];
      /** The worker-signed receipt of a paid request, encoded. */
      readonly receipt?: Uint8Array;
      /** A signed quote for the requester's next request on this tier, valid a short while, encoded. */
      readonly nextQuote?: Uint8Array;
    }
  | { readonly t: 'error'; readonly code: StreamErrorCode; readonly message: string };

export type FrameDecode<T> =
  { readonly ok: true; readonly frame: T } | { readonly ok: false; readonly error: string };

export function encodeRequesterFrame(frame: RequesterFrame): Uint8Array {
  return encode(withoutUndefined(frame));
}

export function encodeWorkerFrame(frame: WorkerFrame): Uint8Array {
  return encode(withoutUndefined(frame));
}

export function decodeRequesterFrame(bytes: Uint8Array): FrameDecode<RequesterFrame> {
  return guard(bytes, MAX_REQUEST_FRAME_BYTES, (map) => {
    switch (map.t) {
      case 'request': {
        exactKeys(map, ['t', 'v', 'id', 'tier', 'request'], ['reserve']);
        if (map.v !== INFER_WIRE_VERSION) fail(`unsupported version ${String(map.v)}`);
        const id = boundedString(map.id, 'id', MAX_ID_CHARS);
        if (!isTierIdSyntax(map.tier)) fail('bad tier id');
        const parsed = parseChatRequest(map.request);
        if (!parsed.ok) fail(`bad chat request: ${parsed.error}`);
        return {
          t: 'request',
          v: INFER_WIRE_VERSION,
          id,
          tier: map.tier,
          request: parsed.request,
          ...(map.reserve === undefined
            ? {}
            : { reserve: bytesField(map.reserve, 'reserve', MAX_BLOCK_FIELD_BYTES) }),
        };
      }
      case 'reserve':
        exactKeys(map, ['t', 'block']);
        return { t: 'reserve', block: bytesField(map.block, 'block', MAX_BLOCK_FIELD_BYTES) };
      case 'ack':
        exactKeys(map, ['t', 'ack']);
        return { t: 'ack', ack: bytesField(map.ack, 'ack', MAX_ACK_FIELD_BYTES) };
      case 'settle':
        exactKeys(map, ['t', 'receipt', 'block']);
        return {
          t: 'settle',
          receipt: bytesField(map.receipt, 'receipt', MAX_RECEIPT_FIELD_BYTES),
          block: bytesField(map.block, 'block', MAX_BLOCK_FIELD_BYTES),
        };
      case 'cancel':
        exactKeys(map, ['t']);
        return { t: 'cancel' };
      default:
        return fail('unknown frame type');
    }
  });
}

export function decodeWorkerFrame(bytes: Uint8Array): FrameDecode<WorkerFrame> {
  return guard(bytes, MAX_RESPONSE_FRAME_BYTES, (map) => {
    switch (map.t) {
      case 'quote':
        exactKeys(map, ['t', 'quote']);
        return { t: 'quote', quote: bytesField(map.quote, 'quote', MAX_QUOTE_FIELD_BYTES) };
      case 'admitted':
        exactKeys(map, ['t', 'model']);
        return { t: 'admitted', model: boundedString(map.model, 'model', 256) };
      case 'refused':
        exactKeys(map, ['t', 'reason', 'message']);
        return {
          t: 'refused',
          reason: oneOf(map.reason, REFUSAL_REASONS, 'reason'),
          message: boundedString(map.message, 'message', MAX_MESSAGE_CHARS),
        };
      case 'deltas': {
        exactKeys(map, ['t', 'deltas']);
        if (
          !Array.isArray(map.deltas) ||
          map.deltas.length === 0 ||
          map.deltas.length > MAX_DELTAS_PER_FRAME
        ) {
          fail('bad deltas');
        }
        return { t: 'deltas', deltas: map.deltas.map(readDelta) };
      }
      case 'end': {
        exactKeys(map, ['t', 'usage', 'finishReason'], ['servedBy', 'receipt', 'nextQuote']);
        const frame: {
          -readonly [K in keyof Extract<WorkerFrame, { t: 'end' }>]: Extract<WorkerFrame, { t: 'end' }>[K];
        } = {
          t: 'end',
          usage: readUsage(map.usage),
          finishReason:
            map.finishReason === null
              ? null
              : oneOf<ChatFinishReason>(
                  map.finishReason,
                  ['stop', 'length', 'tool_calls', 'content_filter', 'function_call', 'error'],
                  'finishReason',
                ),
        };
        if (map.servedBy !== undefined) frame.servedBy = readServedBy(map.servedBy);
        if (map.receipt !== undefined)
          frame.receipt = bytesField(map.receipt, 'receipt', MAX_RECEIPT_FIELD_BYTES);
        if (map.nextQuote !== undefined)
          frame.nextQuote = bytesField(map.nextQuote, 'nextQuote', MAX_QUOTE_FIELD_BYTES);
        return frame;
      }
      case 'error':
        exactKeys(map, ['t', 'code', 'message']);
        return {
          t: 'error',
          code: oneOf(map.code, STREAM_ERROR_CODES, 'code'),
          message: boundedString(map.message, 'message', MAX_MESSAGE_CHARS),
        };
      default:
        return fail('unknown frame type');
    }
  });
}

class FrameInvalid extends Error {}

function fail(message: string): never {
  throw new FrameInvalid(message);
}

function guard<T>(
  bytes: Uint8Array,
  limit: number,
  read: (map: Record<string, unknown>) => T,
): FrameDecode<T> {
  if (bytes.byteLength > limit)
    return { ok: false, error: `frame too large (${bytes.byteLength} > ${limit} bytes)` };
  const decoded = decodeStrictCborRecord(bytes);
  if (!decoded.ok) return { ok: false, error: decoded.error };
  try {
    return { ok: true, frame: read(decoded.record) };
  } catch (error) {
    if (error instanceof FrameInvalid) return { ok: false, error: error.message };
    throw error;
  }
}

function exactKeys(
  map: Record<string, unknown>,
  required: readonly string[],
  optional: readonly string[] = [],
): void {
  for (const key of required) if (!(key in map)) fail(`missing ${key}`);
  for (const key of Object.keys(map)) {
    if (!required.includes(key) && !optional.includes(key))
      fail(`unknown field ${JSON.stringify(key.slice(0, 32))}`);
  }
}

function boundedString(value: unknown, what: string, max: number): string {
  if (typeof value !== 'string' || value.length > max) fail(`bad ${what}`);
  return value;
}

function bytesField(value: unknown, what: string, max: number): Uint8Array {
  if (!(value instanceof Uint8Array) || value.byteLength === 0 || value.byteLength > max) fail(`bad ${what}`);
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) fail(`bad ${what}`);
  return value as T;
}

function count(value: unknown, what: string): number {
  if (!Number.isSafeInteger(value) || (value as number) < 0) fail(`bad ${what}`);
  return value as number;
}

function readDelta(value: unknown): ChatDeltaChunk {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('bad delta');
  const map = value as Record<string, unknown>;
  exactKeys(map, ['type'], ['content', 'reasoningContent', 'toolCalls']);
  if (map.type !== 'delta') fail('bad delta');
  const delta: { -readonly [K in keyof ChatDeltaChunk]: ChatDeltaChunk[K] } = { type: 'delta' };
  if (map.content !== undefined)
    delta.content = boundedString(map.content, 'delta content', MAX_RESPONSE_FRAME_BYTES);
  if (map.reasoningContent !== undefined) {
    delta.reasoningContent = boundedString(
      map.reasoningContent,
      'reasoning content',
      MAX_RESPONSE_FRAME_BYTES,
    );
  }
  if (map.toolCalls !== undefined) {
    if (!Array.isArray(map.toolCalls) || map.toolCalls.length > 64) fail('bad tool calls');
    delta.toolCalls = map.toolCalls.map((call: unknown) => {
      if (typeof call !== 'object' || call === null || Array.isArray(call)) fail('bad tool call');
      const fields = call as Record<string, unknown>;
      exactKeys(fields, ['index'], ['id', 'name', 'arguments']);
      const out: { index: number; id?: string; name?: string; arguments?: string } = {
        index: count(fields.index, 'tool call index'),
      };
      if (fields.id !== undefined) out.id = boundedString(fields.id, 'tool call id', 128);
      if (fields.name !== undefined) out.name = boundedString(fields.name, 'tool call name', 128);
      if (fields.arguments !== undefined)
        out.arguments = boundedString(fields.arguments, 'tool call arguments', MAX_RESPONSE_FRAME_BYTES);
      return out;
    });
  }
  return delta;
}

function readUsage(value: unknown): ChatUsage {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('bad usage');
  const map = value as Record<string, unknown>;
  exactKeys(map, ['promptTokens', 'completionTokens', 'totalTokens'], ['cachedPromptTokens', 'estimated']);
  const usage: { -readonly [K in keyof ChatUsage]: ChatUsage[K] } = {
    promptTokens: count(map.promptTokens, 'promptTokens'),
    completionTokens: count(map.completionTokens, 'completionTokens'),
    totalTokens: count(map.totalTokens, 'totalTokens'),
  };
  if (map.cachedPromptTokens !== undefined)
    usage.cachedPromptTokens = count(map.cachedPromptTokens, 'cachedPromptTokens');
  if (map.estimated !== undefined) {
    if (typeof map.estimated !== 'boolean') fail('bad estimated');
    usage.estimated = map.estimated;
  }
  return usage;
}

function readServedBy(value: unknown): ChatServingShare[] {
  if (!Array.isArray(value) || value.length > 64) fail('bad servedBy');
  return value.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) fail('bad servedBy');
    const map = entry as Record<string, unknown>;
    exactKeys(map, ['engineNodeId', 'share']);
    const share = map.share;
    if (typeof share !== 'number' || !Number.isFinite(share) || share < 0 || share > 1) fail('bad share');
    return { engineNodeId: boundedString(map.engineNodeId, 'engineNodeId', 128), share };
  });
}

/** cborg refuses undefined; optional fields left undefined by a builder are simply absent on the wire. */
function withoutUndefined(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutUndefined);
  if (typeof value === 'object' && value !== null && !(value instanceof Uint8Array)) {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>)
        .filter(([, field]) => field !== undefined)
        .map(([key, field]) => [key, withoutUndefined(field)]),
    );
  }
  return value;
}
