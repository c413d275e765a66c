// The SETTLE outputs a view holds and who claimed them: what a CREDIT links to, what is still unclaimed
// (a term of the conservation invariant), and what a payee may still claim.
import type { Block, Output } from './block.ts';
import { bytesEqual } from './bytes.ts';
import type { ChainContext } from './chain-state.ts';
import { IdMap } from './id-map.ts';

interface StoredOutput {
  readonly output: Output;
  /** mapKey of the claiming account. */
  claimedBy: string | null;
}

/** A SETTLE's outputs, by index, and who claimed each. */
interface SettleOutputs {
  readonly settle: Block;
  readonly outputs: StoredOutput[];
}

/** A SETTLE output its payee has not claimed yet. */
export interface UnclaimedOutput {
  settleId: Uint8Array;
  index: number;
  payer: Uint8Array;
  requestId: Uint8Array;
  amount: bigint;
}

export class SettleOutputIndex {
  readonly #bySettle = new IdMap<SettleOutputs>((s) => s.settle.id);
  /** The same, in the order the SETTLEs were applied. */
  readonly #inOrder: SettleOutputs[] = [];
  #unclaimed = 0n;

  /** Σ amounts of outputs no CREDIT claimed yet. */
  get unclaimed(): bigint {
    return this.#unclaimed;
  }

  /** Record a valid SETTLE's outputs. */
  addSettle(settle: Block): void {
    const entry: SettleOutputs = { settle, outputs: [] };
    for (const output of settle.body.outputs) {
      entry.outputs.push({ output, claimedBy: null });
      this.#unclaimed += output.amount;
    }
    this.#bySettle.set(entry);
    this.#inOrder.push(entry);
  }

  /** Record a valid CREDIT's claim (`claimant` is the mapKey of its account). */
  claim(settleId: Uint8Array, index: number, claimant: string): void {
    const stored = this.#bySettle.get(settleId)!.outputs[index]!;
    stored.claimedBy = claimant;
    this.#unclaimed -= stored.output.amount;
  }

  /**
   * ChainContext.outputOf, given whether a block with that id is held at all: only SETTLEs have outputs
   * here, so the usual case takes one lookup.
   */
  outputOf(
    settleId: Uint8Array,
    index: number,
    isHeld: (id: Uint8Array) => boolean,
  ): ReturnType<ChainContext['outputOf']> {
    const entry = this.#bySettle.get(settleId);
    if (entry === undefined) return isHeld(settleId) ? { status: 'not-a-settle' } : { status: 'missing' };
    const stored = entry.outputs[index];
    if (stored === undefined) return { status: 'not-a-settle' };
    return {
      status: 'found',
      payer: entry.settle.body.account,
      requestId: entry.settle.body.requestId,
      output: stored.output,
      claimed: stored.claimedBy !== null,
    };
  }

  /** Unclaimed outputs paying `payee`, in the order their SETTLEs were applied. */
  unclaimedFor(payee: Uint8Array): UnclaimedOutput[] {
    const out: UnclaimedOutput[] = [];
    for (const { settle, outputs } of this.#inOrder) {
      outputs.forEach((stored, index) => {
        if (stored.claimedBy !== null || !bytesEqual(stored.output.payee, payee)) return;
        out.push({
          settleId: settle.id,
          index,
          payer: settle.body.account,
          requestId: settle.body.requestId,
          amount: stored.output.amount,
        });
      });
    }
    return out;
  }
}
