// Messages of /og/ledger-sync/1.0.0 (heads, ranges, fraud proofs) and their strict codecs. Each frame is one
// canonical CBOR array whose first item says what it is; everything is size-limited before decoding.
import {
  asArray,
  asBytes,
  asU32,
  asU64,
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

export type SyncRequest =
  | { readonly type: 'get-heads'; readonly accounts: readonly Uint8Array[] }
  | {
      readonly type: 'get-range';
      readonly account: Uint8Array;
      readonly fromSeq: bigint;
      readonly toSeq: bigint;
    }
  | { readonly type: 'get-fraud' };

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
  }
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
          asBytes(b, 'block', undefined, 8192),
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
  return encodeCanonical(responseToCbor(response));
}

export function decodeSyncResponse(bytes: Uint8Array): SyncResponse | null {
  return decodeCanonical(bytes, MAX_SYNC_FRAME_BYTES, responseFromCbor, responseToCbor);
}
