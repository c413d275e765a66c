// Canonical encoding of blocks. A block travels as CBOR [bodyBytes, sig]; bodyBytes is the CBOR array of
// the body fields. Decoding is strict and re-encodes to compare, so one body has exactly one byte string and
// one id.
import { BLOCK_FORMAT_VERSION, type Block, type BlockBody, type BlockKind, type Output } from './block.ts';
import { CanonicalReader } from './canonical-reader.ts';
import { DOMAIN, domainHash, nobleSha256, type Hasher } from './hash.ts';
import {
  asArray,
  asBytes,
  asI64,
  asU32,
  asU64,
  decodeCanonical,
  encodeCanonical,
  SchemaError,
} from './strict-cbor.ts';

/** Largest body accepted from anyone (16 outputs and a 1 KiB extra fit easily). */
export const MAX_BODY_BYTES = 4096;
/** Largest encoded block (body + signature + framing). */
export const MAX_BLOCK_BYTES = MAX_BODY_BYTES + 128;
export const MAX_OUTPUTS = 16;
export const MAX_EXTRA_BYTES = 1024;

function bodyToCbor(body: BlockBody): unknown[] {
  return [
    body.v,
    body.net,
    body.account,
    body.seq,
    body.prev,
    body.kind,
    body.ts,
    body.requestId,
    body.counterparty,
    body.linkId,
    body.linkIndex,
    body.amount,
    body.outputs.map((o) => [o.payee, o.amount, o.units]),
    body.promptTokens,
    body.completionTokens,
    body.balanceAfter,
    body.reservedAfter,
    body.extra,
  ];
}

function bodyFromCbor(value: unknown): BlockBody {
  const f = asArray(value, 'body', 18);
  const kind = asU32(f[5], 'kind');
  if (kind > 4) throw new SchemaError('kind: unknown');
  const outputs: Output[] = asArray(f[12], 'outputs', undefined, MAX_OUTPUTS).map((entry, i) => {
    const o = asArray(entry, `outputs[${i}]`, 3);
    return {
      payee: asBytes(o[0], 'payee', 32),
      amount: asI64(o[1], 'output amount'),
      units: asU64(o[2], 'units'),
    };
  });
  return {
    v: asU32(f[0], 'v'),
    net: asBytes(f[1], 'net', 32),
    account: asBytes(f[2], 'account', 32),
    seq: asU64(f[3], 'seq'),
    prev: asBytes(f[4], 'prev', 32),
    kind: kind as BlockKind,
    ts: asU64(f[6], 'ts'),
    requestId: asBytes(f[7], 'requestId', 32),
    counterparty: asBytes(f[8], 'counterparty', 32),
    linkId: asBytes(f[9], 'linkId', 32),
    linkIndex: asU32(f[10], 'linkIndex'),
    amount: asI64(f[11], 'amount'),
    outputs,
    promptTokens: asU32(f[13], 'promptTokens'),
    completionTokens: asU32(f[14], 'completionTokens'),
    balanceAfter: asI64(f[15], 'balanceAfter'),
    reservedAfter: asI64(f[16], 'reservedAfter'),
    extra: asBytes(f[17], 'extra', undefined, MAX_EXTRA_BYTES),
  };
}

/** The canonical bytes of a body (what is hashed and signed). */
export function encodeBody(body: BlockBody): Uint8Array {
  return encodeCanonical(bodyToCbor(body));
}

/**
 * The body, or null when the bytes are not its one canonical encoding. Reads with CanonicalReader (no
 * re-encoding); `decodeBodyByReencoding` is the slower generic path the tests compare it with.
 */
export function decodeBody(bytes: Uint8Array): BlockBody | null {
  if (bytes.length === 0 || bytes.length > MAX_BODY_BYTES) return null;
  try {
    const r = new CanonicalReader(new Uint8Array(bytes));
    r.array(18);
    const v = r.u32();
    const net = r.bytes(32);
    const account = r.bytes(32);
    const seq = r.u64();
    const prev = r.bytes(32);
    const kind = r.u32();
    if (kind > 4) return null;
    const ts = r.u64();
    const requestId = r.bytes(32);
    const counterparty = r.bytes(32);
    const linkId = r.bytes(32);
    const linkIndex = r.u32();
    const amount = r.i64();
    const count = r.array(undefined, MAX_OUTPUTS);
    const outputs: Output[] = [];
    for (let i = 0; i < count; i++) {
      r.array(3);
      outputs.push({ payee: r.bytes(32), amount: r.i64(), units: r.u64() });
    }
    const body: BlockBody = {
      v,
      net,
      account,
      seq,
      prev,
      kind: kind as BlockKind,
      ts,
      requestId,
      counterparty,
      linkId,
      linkIndex,
      amount,
      outputs,
      promptTokens: r.u32(),
      completionTokens: r.u32(),
      balanceAfter: r.i64(),
      reservedAfter: r.i64(),
      extra: r.bytes(undefined, MAX_EXTRA_BYTES),
    };
    r.end();
    return body.v === BLOCK_FORMAT_VERSION ? body : null;
  } catch (error) {
    if (error instanceof SchemaError) return null;
    throw error;
  }
}

/** The generic strict decode + re-encode comparison; kept as the reference decodeBody is tested against. */
export function decodeBodyByReencoding(bytes: Uint8Array): BlockBody | null {
  const body = decodeCanonical(bytes, MAX_BODY_BYTES, bodyFromCbor, bodyToCbor);
  if (body === null || body.v !== BLOCK_FORMAT_VERSION) return null;
  return body;
}

/** A block's id: H("OG/v1/block\0" || bodyBytes). */
export function blockIdOf(bodyBytes: Uint8Array, hasher: Hasher = nobleSha256): Uint8Array {
  return domainHash(hasher, DOMAIN.block, bodyBytes);
}

/** Build a signed block. `sign` signs the 32-byte id with the account's key. */
export function createBlock(
  body: BlockBody,
  sign: (message: Uint8Array) => Uint8Array,
  hasher: Hasher = nobleSha256,
): Block {
  const bodyBytes = encodeBody(body);
  const id = blockIdOf(bodyBytes, hasher);
  return { body, bodyBytes, id, sig: sign(id) };
}

/** The wire form of a block: CBOR [bodyBytes, sig]. */
export function encodeBlock(block: Pick<Block, 'bodyBytes' | 'sig'>): Uint8Array {
  return encodeCanonical([block.bodyBytes, block.sig]);
}

/**
 * The envelope [bodyBytes, sig] is parsed by hand: it is two byte strings, and the only canonical encoding is
 * array(2), a minimal byte-string header, the body, 0x58 0x40 and 64 signature bytes. This is exactly what the
 * generic decode-and-re-encode would accept, at a fraction of the cost (it runs for every block received).
 */
function splitEnvelope(bytes: Uint8Array): { bodyBytes: Uint8Array; sig: Uint8Array } | null {
  if (bytes.length > MAX_BLOCK_BYTES || bytes.length < 3 + 66 || bytes[0] !== 0x82) return null;
  let offset: number;
  let length: number;
  const head = bytes[1]!;
  if (head >= 0x40 && head <= 0x57) {
    length = head - 0x40;
    offset = 2;
  } else if (head === 0x58) {
    length = bytes[2]!;
    if (length < 24) return null;
    offset = 3;
  } else if (head === 0x59) {
    length = (bytes[2]! << 8) | bytes[3]!;
    if (length < 256) return null;
    offset = 4;
  } else {
    return null;
  }
  if (length > MAX_BODY_BYTES || offset + length + 66 !== bytes.length) return null;
  const sigAt = offset + length;
  if (bytes[sigAt] !== 0x58 || bytes[sigAt + 1] !== 0x40) return null;
  return { bodyBytes: bytes.subarray(offset, sigAt), sig: bytes.subarray(sigAt + 2) };
}

/**
 * Strictly decode a block from the wire and compute its id. Does not check the signature or any rule: that is
 * validateBlock's job. Null on any malformation.
 */
export function decodeBlock(bytes: Uint8Array, hasher: Hasher = nobleSha256): Block | null {
  if (bytes.length > MAX_BLOCK_BYTES) return null;
  // A private copy: the block is kept, the caller's buffer may be reused.
  const outer = splitEnvelope(new Uint8Array(bytes));
  if (outer === null) return null;
  const body = decodeBody(outer.bodyBytes);
  if (body === null) return null;
  return { body, bodyBytes: outer.bodyBytes, id: blockIdOf(outer.bodyBytes, hasher), sig: outer.sig };
}

/** A block from its stored parts (body bytes and signature), strictly decoded; null if malformed. */
export function blockFromParts(
  bodyBytes: Uint8Array,
  sig: Uint8Array,
  hasher: Hasher = nobleSha256,
): Block | null {
  if (sig.length !== 64) return null;
  const body = decodeBody(bodyBytes);
  if (body === null) return null;
  return { body, bodyBytes, id: blockIdOf(bodyBytes, hasher), sig };
}
