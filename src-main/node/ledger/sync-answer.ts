// The server side of /og/ledger-sync/2.0.0 (DESIGN.md §5): one request answered from the local view, after the
// caller's rate bound admitted its cost. The client side that catches up from peers is ledger-sync.ts.
import { encodeBlock } from '../../../src-shared/ledger/block-codec.ts';
import { compareBytes } from '../../../src-shared/ledger/bytes.ts';
import { encodeFraudProof, offenderOf } from '../../../src-shared/ledger/fraud-proof.ts';
import type { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';
import {
  decodeSyncRequest,
  encodeSyncResponse,
  MAX_HEADS,
  MAX_PROOFS,
  MAX_RANGE_BLOCKS,
  type SyncRequest,
  type SyncResponse,
} from '../../../src-shared/ledger/sync/sync-messages.ts';

/**
 * The server side: answer one request from the local view. Never throws on bad input. `admit` is asked for
 * the request's cost first (sync-rate bounds per peer): a refused request gets a short error, no work.
 */
export function answerSyncRequest(
  view: LedgerView,
  requestBytes: Uint8Array,
  admit: (cost: number) => boolean = () => true,
): Uint8Array {
  const request = decodeSyncRequest(requestBytes);
  if (request === null) return encodeSyncResponse({ type: 'error', message: 'malformed request' });
  if (!admit(syncRequestCost(request)))
    return encodeSyncResponse({ type: 'error', message: 'too many sync requests: slow down' });
  return encodeSyncResponse(answer(view, request));
}

/**
 * The work a request costs its server, in units of one range page: every head or proof (walked and sorted
 * per request) costs more than a page of one chain.
 */
export function syncRequestCost(request: SyncRequest): number {
  switch (request.type) {
    case 'get-heads':
      return request.accounts.length === 0 ? SYNC_COST_ALL : 1 + Math.ceil(request.accounts.length / 100);
    case 'get-heads-after':
      return SYNC_COST_ALL;
    case 'get-fraud':
    case 'get-fraud-after':
      return SYNC_COST_PROOFS;
    case 'get-range':
      return 1;
  }
}

/** The cost of a request that walks every head this node holds. */
export const SYNC_COST_ALL = 20;
/** The cost of a request that walks every fraud proof. */
export const SYNC_COST_PROOFS = 5;

function answer(view: LedgerView, request: SyncRequest): SyncResponse {
  switch (request.type) {
    case 'get-heads': {
      const heads =
        request.accounts.length === 0
          ? view.heads()
          : request.accounts.map((a) => view.head(a)).filter((h) => h !== null);
      return { type: 'heads', heads: heads.slice(0, MAX_HEADS) };
    }
    case 'get-range': {
      const blocks = view.range(request.account, request.fromSeq, request.toSeq, MAX_RANGE_BLOCKS);
      return { type: 'blocks', blocks: blocks.map((b) => encodeBlock(b)) };
    }
    case 'get-fraud':
      return { type: 'fraud', proofs: view.fraudProofs().slice(0, MAX_PROOFS).map(encodeFraudProof) };
    case 'get-heads-after': {
      const heads = view
        .heads()
        .filter((h) => compareBytes(h.account, request.after) > 0)
        .sort((x, y) => compareBytes(x.account, y.account));
      return { type: 'heads', heads: heads.slice(0, MAX_HEADS) };
    }
    case 'get-fraud-after': {
      const proofs = view
        .fraudProofs()
        .map((proof) => ({ proof, offender: offenderOf(proof) }))
        .filter((p) => compareBytes(p.offender, request.after) > 0)
        .sort((x, y) => compareBytes(x.offender, y.offender));
      return { type: 'fraud', proofs: proofs.slice(0, MAX_PROOFS).map((p) => encodeFraudProof(p.proof)) };
    }
  }
}
