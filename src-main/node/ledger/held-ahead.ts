// Which of the own chain's open reservations are held ahead (issue 17): RESERVEs committed for a request still
// to come, from a quote a worker offered. Their tokens are locked on the chain, yet they are still the user's —
// no request runs on them and an unused one settles at zero — so every balance shown counts them as available
// and names them apart ("reserved for your next request"), never as money gone.
import type { ChainState } from '../../../src-shared/ledger/chain-state.ts';
import { toHex } from '../../../src-shared/ledger/bytes.ts';

export class HeldAheadReservations {
  /** Request ids (hex) of reservations committed ahead and not used yet. */
  readonly #ids = new Set<string>();

  constructor(ids: Iterable<Uint8Array> = []) {
    for (const id of ids) this.#ids.add(toHex(id));
  }

  /** Marked before its RESERVE commits, so no balance computed meanwhile shows it as spent. */
  hold(requestId: Uint8Array): void {
    this.#ids.add(toHex(requestId));
  }

  /** Used by a request (its reservation now runs) or settled at zero. */
  unhold(requestId: Uint8Array): void {
    this.#ids.delete(toHex(requestId));
  }

  /** µT of `chain`'s open reservations held ahead (closed ones no longer lock anything). */
  amount(chain: ChainState | undefined): bigint {
    if (!chain || this.#ids.size === 0) return 0n;
    let sum = 0n;
    for (const id of this.#ids) {
      const open = chain.open.get(id);
      if (open) sum += open.terms.maxCost;
    }
    return sum;
  }

  /** Request ids marked whose reservation is no longer open in `chain` (to forget). */
  closed(chain: ChainState | undefined): string[] {
    return [...this.#ids].filter((id) => !chain?.open.has(id));
  }
}
