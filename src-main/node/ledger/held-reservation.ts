// A RESERVE committed ahead of its request (issue 17: no fsync before a paid request's first frame). When a
// worker offers a quote for the requester's next request, the requester reserves it at once, in the
// background, through the group commit; the next request to that worker then sends a RESERVE that is durable
// already. A reservation its request never comes for is settled at zero (a SETTLE of nothing frees it at
// once), so holding one costs a RESERVE and a SETTLE on the own chain and no tokens.
import { encodeBlock } from '../../../src-shared/ledger/block-codec.ts';
import type { Block, BlockBody } from '../../../src-shared/ledger/block.ts';
import type { ChainState } from '../../../src-shared/ledger/chain-state.ts';
import type { ChatRequest } from '../../../src-shared/protocol/chat.ts';
import type { HeldReservation, RequestPayment } from '../routing/payments.ts';

/** A quote checked against a request, ready to reserve. */
export interface PreparedReserve {
  /** The request id the quote names (the RESERVE's). */
  readonly requestId: Uint8Array;
  /** What the reservation locks. */
  readonly maxCost: bigint;
  /** The RESERVE's body from the own chain's state. */
  readonly build: (state: ChainState | undefined) => BlockBody;
  /** The payment on the committed RESERVE (of the request the quote was checked against). */
  readonly session: (reserve: Block) => RequestPayment;
}

/**
 * `block` (committed) held for a request still to come; `use` checks that request against the quote and makes
 * its payment (null when the quote does not cover it). `unhold` is called once it is no longer held ahead
 * (used by its request, or released): from then on balances show it as a running request's, or not at all.
 */
export function heldReservation(
  block: Block,
  prepared: PreparedReserve,
  use: (request: ChatRequest) => RequestPayment | null,
  unhold: () => void,
): HeldReservation {
  let spent = false;
  return {
    reserve: encodeBlock(block),
    use(request) {
      if (spent) return null;
      const payment = use(request);
      if (payment) {
        spent = true;
        unhold();
      }
      return payment;
    },
    release() {
      if (spent) return;
      spent = true;
      try {
        // Nothing was received on it: the SETTLE is of zero (or, if the store refuses, a RELEASE after expiry).
        prepared.session(block).settleAlone('ended');
        // After the SETTLE: not a moment shown as a running request's. Unsettled, it stays the user's (held)
        // until its RELEASE or the next start settles it; the mark of a closed reservation counts nothing.
        unhold();
      } catch {
        // The ledger stopped or refused: the reservation stays open and the next start settles it at zero.
      }
    },
  };
}
