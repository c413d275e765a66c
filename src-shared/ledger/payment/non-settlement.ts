// Evidence against a requester that does not pay (ref/ledger-design.md §4 step 8, phase 1 without
// witnesses): its own signed RESERVE and highest ack. Any node can check it against its view:
//   underpaid  a SETTLE for the request paid fewer tokens than acked   (a fraud proof: revoke)
//   released   the reservation was RELEASEd after tokens were acked     (a fraud proof: revoke)
//   unsettled  no SETTLE after the deadline                             (reputation loss, refuse service)
//   settled    the SETTLE paid at least what was acked                  (the report is wrong)
import { BlockKind, type Block } from '../block.ts';
import { decodeBlock, encodeBlock } from '../block-codec.ts';
import { bytesEqual } from '../bytes.ts';
import { precheckEd25519, type SignatureVerifier } from '../ed25519-strict.ts';
import type { FraudProof } from '../fraud-proof.ts';
import { nobleSha256, type Hasher } from '../hash.ts';
import type { LedgerView } from '../ledger-view.ts';
import { asArray, asBytes, decodeCanonical, encodeCanonical } from '../strict-cbor.ts';
import { decodeAck, encodeAck, verifyAck, type Ack } from './ack.ts';

export interface NonSettlementReport {
  readonly reserve: Block;
  readonly ack: Ack;
}

export type NonSettlementFinding =
  | { readonly status: 'invalid'; readonly reason: string }
  | { readonly status: 'pending' }
  | { readonly status: 'settled' }
  | { readonly status: 'unsettled'; readonly requester: Uint8Array }
  | { readonly status: 'fraud'; readonly proof: FraudProof };

export function encodeNonSettlementReport(report: NonSettlementReport): Uint8Array {
  return encodeCanonical([encodeBlock(report.reserve), encodeAck(report.ack)]);
}

export function decodeNonSettlementReport(
  bytes: Uint8Array,
  hasher: Hasher = nobleSha256,
): NonSettlementReport | null {
  const raw = decodeCanonical(
    bytes,
    8192,
    (v) => {
      const f = asArray(v, 'report', 2);
      return {
        reserve: asBytes(f[0], 'reserve', undefined, 6000),
        ack: asBytes(f[1], 'ack', undefined, 1024),
      };
    },
    (r) => [r.reserve, r.ack],
  );
  if (raw === null) return null;
  const reserve = decodeBlock(raw.reserve, hasher);
  const ack = decodeAck(raw.ack);
  return reserve && ack ? { reserve, ack } : null;
}

/**
 * Judge a report against this node's view. `deadlineMs` is how long after the ack a SETTLE may take. Only a
 * report whose RESERVE and ack are both signed by the requester, for the same request and reservation, counts.
 */
export function judgeNonSettlement(
  view: LedgerView,
  report: NonSettlementReport,
  nowMs: bigint,
  deadlineMs: bigint,
  verify: SignatureVerifier,
  hasher: Hasher = nobleSha256,
): NonSettlementFinding {
  const { reserve, ack } = report;
  const r = reserve.body;
  if (r.kind !== BlockKind.RESERVE) return { status: 'invalid', reason: 'not a RESERVE' };
  if (
    !bytesEqual(r.net, view.params.networkId) ||
    !precheckEd25519(reserve.sig, r.account) ||
    !verify(reserve.sig, reserve.id, r.account)
  )
    return { status: 'invalid', reason: 'RESERVE not signed by its account' };
  if (!verifyAck(ack, view.params.networkId, verify, hasher))
    return { status: 'invalid', reason: 'ack not signed by its requester' };
  if (
    !bytesEqual(ack.body.requester, r.account) ||
    !bytesEqual(ack.body.requestId, r.requestId) ||
    !bytesEqual(ack.body.reserveId, reserve.id)
  )
    return { status: 'invalid', reason: 'ack and RESERVE are about different requests' };
  if (ack.body.n === 0) return { status: 'invalid', reason: 'nothing was acknowledged' };
  const chain = view.chain(r.account);
  if (chain) {
    // Find what closed the reservation in the requester's chain, if anything.
    for (let seq = BigInt(chain.ids.length); seq >= 1n; seq--) {
      const block = view.blockAt(r.account, seq)!;
      const b = block.body;
      if (!bytesEqual(b.requestId, r.requestId)) continue;
      if (b.kind === BlockKind.SETTLE) {
        if (b.completionTokens >= ack.body.n) return { status: 'settled' };
        return { status: 'fraud', proof: { type: 'underpay', settle: block, ack } };
      }
      if (b.kind === BlockKind.RELEASE)
        return { status: 'fraud', proof: { type: 'release-after-ack', release: block, ack } };
      if (b.kind === BlockKind.RESERVE) break;
    }
  }
  if (nowMs < ack.body.ts + deadlineMs) return { status: 'pending' };
  return { status: 'unsettled', requester: r.account };
}
