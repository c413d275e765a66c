// Fraud proofs: self-contained evidence that any node, with no other state, can verify (ref/ledger-design.md
// §2, §6). Phase 1 has three, all signed by the offender alone:
//   FORK               two different bodies at one (account, seq)
//   UNDERPAY           a SETTLE paying for fewer completion tokens than the requester's own ack
//   RELEASE_AFTER_ACK  a RELEASE of a reservation for which the requester acknowledged tokens
import { BlockKind, type Block } from './block.ts';
import { decodeBlock, encodeBlock } from './block-codec.ts';
import { bytesEqual, toHex } from './bytes.ts';
import { precheckEd25519, type SignatureVerifier } from './ed25519-strict.ts';
import { nobleSha256, type Hasher } from './hash.ts';
import { decodeAck, encodeAck, verifyAck, type Ack } from './payment/ack.ts';
import { asArray, asBytes, asU32, decodeCanonical, encodeCanonical, SchemaError } from './strict-cbor.ts';

export type FraudProof =
  | { readonly type: 'fork'; readonly a: Block; readonly b: Block }
  | { readonly type: 'underpay'; readonly settle: Block; readonly ack: Ack }
  | { readonly type: 'release-after-ack'; readonly release: Block; readonly ack: Ack };

export const MAX_FRAUD_PROOF_BYTES = 16_384;

const TYPE_CODES = { fork: 0, underpay: 1, 'release-after-ack': 2 } as const;

/** The offending account. */
export function offenderOf(proof: FraudProof): Uint8Array {
  switch (proof.type) {
    case 'fork':
      return proof.a.body.account;
    case 'underpay':
      return proof.settle.body.account;
    case 'release-after-ack':
      return proof.release.body.account;
  }
}

/** A fork proof with its two blocks in a canonical order, so two nodes build the same bytes. */
export function forkProof(a: Block, b: Block): FraudProof {
  return toHex(a.id) < toHex(b.id) ? { type: 'fork', a, b } : { type: 'fork', a: b, b: a };
}

export function encodeFraudProof(proof: FraudProof): Uint8Array {
  switch (proof.type) {
    case 'fork':
      return encodeCanonical([TYPE_CODES.fork, encodeBlock(proof.a), encodeBlock(proof.b)]);
    case 'underpay':
      return encodeCanonical([TYPE_CODES.underpay, encodeBlock(proof.settle), encodeAck(proof.ack)]);
    case 'release-after-ack':
      return encodeCanonical([
        TYPE_CODES['release-after-ack'],
        encodeBlock(proof.release),
        encodeAck(proof.ack),
      ]);
  }
}

/** Strict decode (not yet verified); null when malformed. */
export function decodeFraudProof(bytes: Uint8Array, hasher: Hasher = nobleSha256): FraudProof | null {
  const raw = decodeCanonical(
    bytes,
    MAX_FRAUD_PROOF_BYTES,
    (v) => {
      const f = asArray(v, 'proof', 3);
      const type = asU32(f[0], 'type');
      if (type > 2) throw new SchemaError('proof: unknown type');
      return { type, x: asBytes(f[1], 'x', undefined, 8192), y: asBytes(f[2], 'y', undefined, 8192) };
    },
    (p) => [p.type, p.x, p.y],
  );
  if (raw === null) return null;
  const first = decodeBlock(raw.x, hasher);
  if (first === null) return null;
  if (raw.type === 0) {
    const second = decodeBlock(raw.y, hasher);
    return second === null ? null : { type: 'fork', a: first, b: second };
  }
  const ack = decodeAck(raw.y);
  if (ack === null) return null;
  return raw.type === 1
    ? { type: 'underpay', settle: first, ack }
    : { type: 'release-after-ack', release: first, ack };
}

function signedBy(block: Block, networkId: Uint8Array, verify: SignatureVerifier): boolean {
  return (
    bytesEqual(block.body.net, networkId) &&
    precheckEd25519(block.sig, block.body.account) &&
    verify(block.sig, block.id, block.body.account)
  );
}

/** Null when the proof holds on its own, else why not. Needs nothing but the network id and a verifier. */
export function verifyFraudProof(
  proof: FraudProof,
  networkId: Uint8Array,
  verify: SignatureVerifier,
  hasher: Hasher = nobleSha256,
): string | null {
  switch (proof.type) {
    case 'fork': {
      const { a, b } = proof;
      if (!bytesEqual(a.body.account, b.body.account) || a.body.seq !== b.body.seq)
        return 'not the same (account, seq)';
      if (bytesEqual(a.id, b.id)) return 'the same block twice';
      if (!signedBy(a, networkId, verify) || !signedBy(b, networkId, verify))
        return 'a block is not signed by its account';
      return null;
    }
    case 'underpay':
    case 'release-after-ack': {
      const block = proof.type === 'underpay' ? proof.settle : proof.release;
      const { ack } = proof;
      const want = proof.type === 'underpay' ? BlockKind.SETTLE : BlockKind.RELEASE;
      if (block.body.kind !== want) return 'wrong block kind';
      if (!signedBy(block, networkId, verify)) return 'block not signed by its account';
      if (!verifyAck(ack, networkId, verify, hasher)) return 'ack not signed by its requester';
      if (
        !bytesEqual(ack.body.requester, block.body.account) ||
        !bytesEqual(ack.body.requestId, block.body.requestId)
      )
        return 'ack and block are about different requests';
      if (proof.type === 'underpay' && block.body.completionTokens >= ack.body.n)
        return 'the SETTLE paid for what was acked';
      if (proof.type === 'release-after-ack' && ack.body.n === 0) return 'no token was acknowledged';
      return null;
    }
  }
}
