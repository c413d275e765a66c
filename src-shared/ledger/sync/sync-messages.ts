// Messages of /og/ledger-sync/1.0.0 (heads, ranges, fraud proofs) and their strict codecs. Each frame is one
// canonical CBOR array whose first item says what it is; everything is size-limited before decoding.
import { CanonicalReader } from '../canonical-reader.ts';
import {
  asArray,
  asBytes,
  asU32,
  asU64,
  canonicalHead,
  decodeCanonical,
  encodeCanonical,
  SchemaError,
} from '../strict-cbor.ts';

/** Largest sync frame accepted. */
export const MAX_SYNC_FRAME_BYTES = 1024 * 1024;
/** Most accounts named in one GetHeads, and most heads in one reply. */
export const MAX_HEADS = 10_000;
/** Most blocks in one range reply (ref/ledger-design.md §8: ≤ 100). */
export const MAX_RANGE_BLOCKS = 100;
export const MAX_PROOFS = 256;
/** Largest encoded block a range reply may carry. */
const MAX_BLOCK_WIRE_BYTES = 8192;

export type SyncRequest =
  | { readonly type: 'get-heads'; readonly accounts: readonly Uint8Array[] }
  | {
      readonly type: 'get-range';
      readonly account: Uint8Array;
      readonly fromSeq: bigint;
      readonly toSeq: bigint;
    }
  | { readonly type: 'get-fraud' }
  /**
   * A page of heads (or fraud proofs) whose account (offender) sorts after `after` (empty: from the start).
   * Pages let sync reach past MAX_HEADS accounts and MAX_PROOFS proofs (security finding 10).
   */
  | { readonly type: 'get-heads-after'; readonly after: Uint8Array }
  | { readonly type: 'get-fraud-after'; readonly after: Uint8Array };

export interface WireHead {
  readonly account: Uint8Array;
  readonly seq: bigint;
  readonly id: Uint8Array;
}

export type SyncResponse =
  | { readonly type: 'heads'; readonly heads: readonly WireHead[] }
  | { readonly type: 'blocks'; readonly blocks: readonly Uint8Array[] }
  | { readonly type: 'fraud'; readonly proofs: readonly Uint8Array[] }
  | { readonly type: 'error'; readonly message: string };

function requestToCbor(r: SyncRequest): unknown[] {
  switch (r.type) {
    case 'get-heads':
      return [0, r.accounts];
    case 'get-range':
      return [1, r.account, r.fromSeq, r.toSeq];
    case 'get-fraud':
      return [2];
    case 'get-heads-after':
      return [3, r.after];
    case 'get-fraud-after':
      return [4, r.after];
  }
}

function cursor(value: unknown): Uint8Array {
  const after = asBytes(value, 'after', undefined, 32);
  if (after.length !== 0 && after.length !== 32) throw new SchemaError('after: length');
  return after;
}

function requestFromCbor(value: unknown): SyncRequest {
  const f = asArray(value, 'request', undefined, 4);
  switch (asU32(f[0], 'request type')) {
    case 0:
      if (f.length !== 2) throw new SchemaError('get-heads: length');
      return {
        type: 'get-heads',
        accounts: asArray(f[1], 'accounts', undefined, MAX_HEADS).map((a) => asBytes(a, 'account', 32)),
      };
    case 1:
      if (f.length !== 4) throw new SchemaError('get-range: length');
      return {
        type: 'get-range',
        account: asBytes(f[1], 'account', 32),
        fromSeq: asU64(f[2], 'fromSeq'),
        toSeq: asU64(f[3], 'toSeq'),
      };
    case 2:
      if (f.length !== 1) throw new SchemaError('get-fraud: length');
      return { type: 'get-fraud' };
    case 3:
      if (f.length !== 2) throw new SchemaError('get-heads-after: length');
      return { type: 'get-heads-after', after: cursor(f[1]) };
    case 4:
      if (f.length !== 2) throw new SchemaError('get-fraud-after: length');
      return { type: 'get-fraud-after', after: cursor(f[1]) };
    default:
      throw new SchemaError('request: unknown type');
  }
}

function responseToCbor(r: SyncResponse): unknown[] {
  switch (r.type) {
    case 'heads':
      return [0, r.heads.map((h) => [h.account, h.seq, h.id])];
    case 'blocks':
      return [1, r.blocks];
    case 'fraud':
      return [2, r.proofs];
    case 'error':
      return [3, r.message];
  }
}

function responseFromCbor(value: unknown): SyncResponse {
  const f = asArray(value, 'response', 2);
  switch (asU32(f[0], 'response type')) {
    case 0:
      return {
        type: 'heads',
        heads: asArray(f[1], 'heads', undefined, MAX_HEADS).map((entry) => {
          const h = asArray(entry, 'head', 3);
          return {
            account: asBytes(h[0], 'account', 32),
            seq: asU64(h[1], 'seq'),
            id: asBytes(h[2], 'id', 32),
          };
        }),
      };
    case 1:
      return {
        type: 'blocks',
        blocks: asArray(f[1], 'blocks', undefined, MAX_RANGE_BLOCKS).map((b) =>
          asBytes(b, 'block', undefined, MAX_BLOCK_WIRE_BYTES),
        ),
      };
    case 2:
      return {
        type: 'fraud',
        proofs: asArray(f[1], 'proofs', undefined, MAX_PROOFS).map((p) =>
          asBytes(p, 'proof', undefined, 16_384),
        ),
      };
    case 3: {
      const message = f[1];
      if (typeof message !== 'string' || message.length > 200) throw new SchemaError('error: message');
      return { type: 'error', message };
    }
    default:
      throw new SchemaError('response: unknown type');
  }
}

export function encodeSyncRequest(request: SyncRequest): Uint8Array {
  return encodeCanonical(requestToCbor(request));
}

export function decodeSyncRequest(bytes: Uint8Array): SyncRequest | null {
  return decodeCanonical(bytes, MAX_SYNC_FRAME_BYTES, requestFromCbor, requestToCbor);
}

export function encodeSyncResponse(response: SyncResponse): Uint8Array {
  if (response.type === 'blocks') return encodeBlocksResponse(response.blocks);
  return encodeCanonical(responseToCbor(response));
}

/** [1, [block, …]] written by hand: the reply sync sends most, up to 100 encoded blocks. */
function encodeBlocksResponse(blocks: readonly Uint8Array[]): Uint8Array {
  const listHead = canonicalHead(4, blocks.length);
  let length = 2 + listHead.length;
  const heads = blocks.map((block) => {
    const head = canonicalHead(2, block.length);
    length += head.length + block.length;
    return head;
  });
  const out = new Uint8Array(length);
  out[0] = 0x82;
  out[1] = 0x01;
  out.set(listHead, 2);
  let at = 2 + listHead.length;
  for (let i = 0; i < blocks.length; i++) {
    out.set(heads[i]!, at);
    at += heads[i]!.length;
    out.set(blocks[i]!, at);
    at += blocks[i]!.length;
  }
  return out;
}

/**
 * The response, or null when the bytes are not its canonical encoding. A blocks reply (array(2), 1, then an
 * array of byte strings) is read in one pass by CanonicalReader; other replies by decode and re-encode
 * (`decodeSyncResponseByReencoding`, the reference the tests compare the fast path with).
 */
export function decodeSyncResponse(bytes: Uint8Array): SyncResponse | null {
  if (bytes.length === 0 || bytes.length > MAX_SYNC_FRAME_BYTES) return null;
  if (bytes[0] !== 0x82 || bytes[1] !== 0x01) return decodeSyncResponseByReencoding(bytes);
  // A private copy: the blocks are views into it, and the transport may reuse its buffer.
  const copy = new Uint8Array(bytes);
  try {
    const r = new CanonicalReader(copy, 2);
    const count = r.array(undefined, MAX_RANGE_BLOCKS);
    const blocks: Uint8Array[] = [];
    for (let i = 0; i < count; i++) blocks.push(r.bytes(undefined, MAX_BLOCK_WIRE_BYTES));
    r.end();
    return { type: 'blocks', blocks };
  } catch (error) {
    if (error instanceof SchemaError) return null;
    throw error;
  }
}

/** The generic strict decode + re-encode comparison for every response type. */
export function decodeSyncResponseByReencoding(bytes: Uint8Array): SyncResponse | null {
  return decodeCanonical(bytes, MAX_SYNC_FRAME_BYTES, responseFromCbor, responseToCbor);
}
