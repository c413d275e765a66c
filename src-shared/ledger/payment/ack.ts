// Cumulative acknowledgements (ref/ledger-design.md §4 step 3): the requester signs "I received n completion
// tokens of request r, digest d" every ackEvery tokens. An ack with a higher n supersedes the lower ones, so
// replaying an old ack can never lower what is owed.
import { bytesEqual } from '../bytes.ts';
import { precheckEd25519, type SignatureVerifier } from '../ed25519-strict.ts';
import { DOMAIN, domainHash, nobleSha256, type Hasher } from '../hash.ts';
import { asArray, asBytes, asU32, asU64, decodeCanonical, encodeCanonical } from '../strict-cbor.ts';

export interface AckBody {
  readonly net: Uint8Array;
  readonly requester: Uint8Array;
  readonly requestId: Uint8Array;
  /** The requester's RESERVE block id: an ack is bound to one reservation. */
  readonly reserveId: Uint8Array;
  /** Completion tokens received so far (cumulative). */
  readonly n: number;
  /** H(previous digest || chunk token ids), chained over the stream. */
  readonly outDigest: Uint8Array;
  readonly ts: bigint;
}

export interface Ack {
  readonly body: AckBody;
  readonly bodyBytes: Uint8Array;
  readonly sig: Uint8Array;
}

const MAX_ACK_BYTES = 512;

function toCbor(a: AckBody): unknown[] {
  return [a.net, a.requester, a.requestId, a.reserveId, a.n, a.outDigest, a.ts];
}

function fromCbor(value: unknown): AckBody {
  const f = asArray(value, 'ack', 7);
  return {
    net: asBytes(f[0], 'net', 32),
    requester: asBytes(f[1], 'requester', 32),
    requestId: asBytes(f[2], 'requestId', 32),
    reserveId: asBytes(f[3], 'reserveId', 32),
    n: asU32(f[4], 'n'),
    outDigest: asBytes(f[5], 'outDigest', 32),
    ts: asU64(f[6], 'ts'),
  };
}

/** The 32 bytes the requester signs. */
export function ackSigningHash(bodyBytes: Uint8Array, hasher: Hasher = nobleSha256): Uint8Array {
  return domainHash(hasher, DOMAIN.ack, bodyBytes);
}

export function createAck(
  body: AckBody,
  sign: (m: Uint8Array) => Uint8Array,
  hasher: Hasher = nobleSha256,
): Ack {
  const bodyBytes = encodeCanonical(toCbor(body));
  return { body, bodyBytes, sig: sign(ackSigningHash(bodyBytes, hasher)) };
}

export function encodeAck(ack: Ack): Uint8Array {
  return encodeCanonical([ack.bodyBytes, ack.sig]);
}

/** Strict decode; null when malformed. The signature is checked by verifyAck. */
export function decodeAck(bytes: Uint8Array): Ack | null {
  const outer = decodeCanonical(
    bytes,
    MAX_ACK_BYTES,
    (v) => {
      const f = asArray(v, 'ack envelope', 2);
      return {
        bodyBytes: asBytes(f[0], 'ack body', undefined, MAX_ACK_BYTES),
        sig: asBytes(f[1], 'sig', 64),
      };
    },
    (v) => [v.bodyBytes, v.sig],
  );
  if (outer === null) return null;
  const body = decodeCanonical(outer.bodyBytes, MAX_ACK_BYTES, fromCbor, toCbor);
  return body === null ? null : { body, bodyBytes: outer.bodyBytes, sig: outer.sig };
}

/** True when the ack is signed by its requester for this network. */
export function verifyAck(
  ack: Ack,
  networkId: Uint8Array,
  verify: SignatureVerifier,
  hasher: Hasher = nobleSha256,
): boolean {
  if (!bytesEqual(ack.body.net, networkId)) return false;
  if (!precheckEd25519(ack.sig, ack.body.requester)) return false;
  return verify(ack.sig, ackSigningHash(ack.bodyBytes, hasher), ack.body.requester);
}
