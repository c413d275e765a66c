// The receipt (ref/ledger-design.md §4 step 5): the final token counts and output digest, signed by the
// worker and then by the requester. Its id is the SETTLE's linkId.
import { bytesEqual } from '../bytes.ts';
import { precheckEd25519, type SignatureVerifier } from '../ed25519-strict.ts';
import { DOMAIN, domainHash, nobleSha256, type Hasher } from '../hash.ts';
import { asArray, asBytes, asU32, decodeCanonical, encodeCanonical, SchemaError } from '../strict-cbor.ts';

export interface ReceiptBody {
  readonly net: Uint8Array;
  readonly requestId: Uint8Array;
  readonly reserveId: Uint8Array;
  readonly requester: Uint8Array;
  readonly worker: Uint8Array;
  readonly promptTokens: number;
  readonly completionTokens: number;
  readonly outDigest: Uint8Array;
}

export interface Receipt {
  readonly body: ReceiptBody;
  readonly bodyBytes: Uint8Array;
  readonly id: Uint8Array;
  readonly workerSig: Uint8Array;
  /** Empty until the requester co-signs. */
  readonly requesterSig: Uint8Array;
}

const MAX_RECEIPT_BYTES = 1024;

function toCbor(r: ReceiptBody): unknown[] {
  return [
    r.net,
    r.requestId,
    r.reserveId,
    r.requester,
    r.worker,
    r.promptTokens,
    r.completionTokens,
    r.outDigest,
  ];
}

function fromCbor(value: unknown): ReceiptBody {
  const f = asArray(value, 'receipt', 8);
  return {
    net: asBytes(f[0], 'net', 32),
    requestId: asBytes(f[1], 'requestId', 32),
    reserveId: asBytes(f[2], 'reserveId', 32),
    requester: asBytes(f[3], 'requester', 32),
    worker: asBytes(f[4], 'worker', 32),
    promptTokens: asU32(f[5], 'promptTokens'),
    completionTokens: asU32(f[6], 'completionTokens'),
    outDigest: asBytes(f[7], 'outDigest', 32),
  };
}

/** The worker's half: body and worker signature. */
export function createReceipt(
  body: ReceiptBody,
  workerSign: (m: Uint8Array) => Uint8Array,
  hasher: Hasher = nobleSha256,
): Receipt {
  const bodyBytes = encodeCanonical(toCbor(body));
  const id = domainHash(hasher, DOMAIN.receipt, bodyBytes);
  return { body, bodyBytes, id, workerSig: workerSign(id), requesterSig: new Uint8Array(0) };
}

/** The requester's co-signature, after it checked the counts against its own last ack. */
export function coSignReceipt(receipt: Receipt, requesterSign: (m: Uint8Array) => Uint8Array): Receipt {
  return { ...receipt, requesterSig: requesterSign(receipt.id) };
}

export function encodeReceipt(receipt: Receipt): Uint8Array {
  return encodeCanonical([receipt.bodyBytes, receipt.workerSig, receipt.requesterSig]);
}

export function decodeReceipt(bytes: Uint8Array, hasher: Hasher = nobleSha256): Receipt | null {
  const outer = decodeCanonical(
    bytes,
    MAX_RECEIPT_BYTES,
    (v) => {
      const f = asArray(v, 'receipt envelope', 3);
      const requesterSig = asBytes(f[2], 'requesterSig', undefined, 64);
      if (requesterSig.length !== 0 && requesterSig.length !== 64)
        throw new SchemaError('requesterSig: size');
      return {
        bodyBytes: asBytes(f[0], 'receipt body', undefined, MAX_RECEIPT_BYTES),
        workerSig: asBytes(f[1], 'workerSig', 64),
        requesterSig,
      };
    },
    (v) => [v.bodyBytes, v.workerSig, v.requesterSig],
  );
  if (outer === null) return null;
  const body = decodeCanonical(outer.bodyBytes, MAX_RECEIPT_BYTES, fromCbor, toCbor);
  if (body === null) return null;
  return { ...outer, body, id: domainHash(hasher, DOMAIN.receipt, outer.bodyBytes) };
}

/** Both signatures valid for this network (a receipt half-signed by the worker only is not final). */
export function verifyReceipt(receipt: Receipt, networkId: Uint8Array, verify: SignatureVerifier): boolean {
  const b = receipt.body;
  if (!bytesEqual(b.net, networkId)) return false;
  if (!precheckEd25519(receipt.workerSig, b.worker) || !verify(receipt.workerSig, receipt.id, b.worker))
    return false;
  return (
    receipt.requesterSig.length === 64 &&
    precheckEd25519(receipt.requesterSig, b.requester) &&
    verify(receipt.requesterSig, receipt.id, b.requester)
  );
}
