// Canonical encoding of blocks. A block travels as CBOR [bodyBytes, sig]; bodyBytes is the CBOR array of
// the body fields. Decoding is strict and re-encodes to compare, so one body has exactly one byte string and
// one id.
import { BLOCK_FORMAT_VERSION, type Block, type BlockBody, type BlockKind, type Output } from './block.ts';
import { CanonicalReader } from './canonical-reader.ts';
import { ZERO32 } from './bytes.ts';
import { FieldInterner } from './field-interner.ts';
import { DOMAIN, domainHash, hashInto, nobleSha256, type Hasher } from './hash.ts';
import {
  asArray,
  asBytes,
  asI64,
  asU32,
  asU64,
  canonicalHead,
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
  // A private copy: the body's byte fields are views into it.
  return readBody(new Uint8Array(bytes));
}

// Fields that repeat across blocks share one array (field-interner.ts): empty outputs and `extra`, all-zero
// ids (as ZERO32, like the block builders), the network id, account keys, and recent ids and request ids.
const NO_OUTPUTS: readonly Output[] = Object.freeze([]);
const NO_EXTRA = new Uint8Array(0);
const networks = new FieldInterner(4);
const accounts = new FieldInterner(1024);
const ids = new FieldInterner(1024);

/** An id-like field (prev, requestId, linkId): ZERO32 when all zero, else shared with a recent equal one. */
function id32(bytes: Uint8Array, at: number): Uint8Array {
  for (let i = at; i < at + 32; i++) if (bytes[i] !== 0) return ids.take(bytes, at);
  return ZERO32;
}

/** An account-like field (counterparty, payee): ZERO32 when all zero, else shared with a recent equal one. */
function account32(bytes: Uint8Array, at: number): Uint8Array {
  for (let i = at; i < at + 32; i++) if (bytes[i] !== 0) return accounts.take(bytes, at);
  return ZERO32;
}

/** decodeBody on bytes the caller owns and never changes: the body's byte fields are views into them. */
function readBody(bytes: Uint8Array): BlockBody | null {
  if (bytes.length === 0 || bytes.length > MAX_BODY_BYTES) return null;
  try {
    const r = new CanonicalReader(bytes);
    r.array(18);
    const v = r.u32();
    if (v !== BLOCK_FORMAT_VERSION) return null;
    const net = networks.take(bytes, r.bytesAt(32));
    const account = accounts.take(bytes, r.bytesAt(32));
    const seq = r.u64();
    const prev = id32(bytes, r.bytesAt(32));
    const kind = r.u32();
    if (kind > 4) return null;
    const ts = r.u64();
    const requestId = id32(bytes, r.bytesAt(32));
    const counterparty = account32(bytes, r.bytesAt(32));
    const linkId = id32(bytes, r.bytesAt(32));
    const linkIndex = r.u32();
    const amount = r.i64();
    const count = r.array(undefined, MAX_OUTPUTS);
    let outputs: readonly Output[] = NO_OUTPUTS;
    if (count > 0) {
      const read: Output[] = [];
      for (let i = 0; i < count; i++) {
        r.array(3);
        read.push({ payee: account32(bytes, r.bytesAt(32)), amount: r.i64(), units: r.u64() });
      }
      outputs = read;
    }
    const promptTokens = r.u32();
    const completionTokens = r.u32();
    const balanceAfter = r.i64();
    const reservedAfter = r.i64();
    const extra = r.bytesOr(NO_EXTRA, MAX_EXTRA_BYTES);
    r.end();
    return {
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
      promptTokens,
      completionTokens,
      balanceAfter,
      reservedAfter,
      extra,
    };
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

/** The wire form of a block: CBOR [bodyBytes, sig], written by hand (two byte strings in an array). */
export function encodeBlock(block: Pick<Block, 'bodyBytes' | 'sig'>): Uint8Array {
  const { bodyBytes, sig } = block;
  const bodyHead = canonicalHead(2, bodyBytes.length);
  const sigHead = canonicalHead(2, sig.length);
  const out = new Uint8Array(1 + bodyHead.length + bodyBytes.length + sigHead.length + sig.length);
  out[0] = 0x82;
  out.set(bodyHead, 1);
  let at = 1 + bodyHead.length;
  out.set(bodyBytes, at);
  at += bodyBytes.length;
  out.set(sigHead, at);
  out.set(sig, at + sigHead.length);
  return out;
}

/**
 * Where the body of an envelope [bodyBytes, sig] starts and how long it is, or null. The envelope is parsed by
 * hand: it is two byte strings, and the only canonical encoding is array(2), a minimal byte-string header,
 * the body, 0x58 0x40 and 64 signature bytes. This is exactly what the generic decode-and-re-encode would
 * accept, at a fraction of the cost (it runs for every block received).
 */
function envelopeBody(bytes: Uint8Array): { offset: number; length: number } | null {
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
  return { offset, length };
}

const BLOCK_DOMAIN = DOMAIN.block;

// Between body and signature the buffer keeps the 2 bytes of the signature's head (0x58 0x40), so that a
// wire block is copied in with one call.
const SIG_GAP = 2;

/**
 * A block over one private buffer [domain][body][gap][sig][id] (the id space is filled here): the id hashes the
 * first two parts in place, so hashing needs no concatenation, and every byte field of the block is a view
 * into this one buffer, which holds each received block with as few objects as possible.
 */
function blockFromPrivateCopy(copy: Uint8Array, bodyLength: number, hasher: Hasher): Block | null {
  const bodyEnd = BLOCK_DOMAIN.length + bodyLength;
  const bodyBytes = copy.subarray(BLOCK_DOMAIN.length, bodyEnd);
  const body = readBody(bodyBytes);
  if (body === null) return null;
  const sigAt = bodyEnd + SIG_GAP;
  const idAt = sigAt + 64;
  hashInto(hasher, copy.subarray(0, bodyEnd), copy, idAt);
  const id = copy.subarray(idAt, idAt + 32);
  // The next block of this chain names this id as its prev, a CREDIT as its linkId.
  ids.put(id);
  return { body, bodyBytes, id, sig: copy.subarray(sigAt, idAt) };
}

// Block buffers are carved out of 8 KiB slabs, as Node does for small Buffers: a fresh ArrayBuffer per block
// (an off-heap allocation the collector tracks) cost more than the rest of decoding. The price is Node's
// too: a slab lives while any block carved from it does, so a kept block can hold at most 8 KiB.
const SLAB_BYTES = 8 * 1024;
let slab = new Uint8Array(0);
let slabUsed = 0;

/** The private buffer for a block with a body of `bodyLength` bytes, domain prefix in place. */
function privateBuffer(bodyLength: number): Uint8Array {
  const size = BLOCK_DOMAIN.length + bodyLength + SIG_GAP + 64 + 32;
  let copy: Uint8Array;
  if (size > SLAB_BYTES / 4) {
    copy = new Uint8Array(size);
  } else {
    if (slabUsed + size > slab.length) {
      slab = new Uint8Array(SLAB_BYTES);
      slabUsed = 0;
    }
    copy = slab.subarray(slabUsed, slabUsed + size);
    slabUsed += size;
  }
  copy.set(BLOCK_DOMAIN, 0);
  return copy;
}

/**
 * Strictly decode a block from the wire and compute its id. Does not check the signature or any rule: that is
 * validateBlock's job. Null on any malformation.
 */
export function decodeBlock(bytes: Uint8Array, hasher: Hasher = nobleSha256): Block | null {
  const envelope = envelopeBody(bytes);
  if (envelope === null) return null;
  const { offset, length } = envelope;
  const copy = privateBuffer(length);
  // Body, the signature's 2-byte head (the gap) and the signature: one copy.
  copy.set(bytes.subarray(offset), BLOCK_DOMAIN.length);
  return blockFromPrivateCopy(copy, length, hasher);
}

/** A block from its stored parts (body bytes and signature), strictly decoded; null if malformed. */
export function blockFromParts(
  bodyBytes: Uint8Array,
  sig: Uint8Array,
  hasher: Hasher = nobleSha256,
): Block | null {
  if (sig.length !== 64 || bodyBytes.length === 0 || bodyBytes.length > MAX_BODY_BYTES) return null;
  const copy = privateBuffer(bodyBytes.length);
  copy.set(bodyBytes, BLOCK_DOMAIN.length);
  copy.set(sig, BLOCK_DOMAIN.length + bodyBytes.length + SIG_GAP);
  return blockFromPrivateCopy(copy, bodyBytes.length, hasher);
}
