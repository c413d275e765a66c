// What validating a block can say about it (py-ipv8's ValidationResult, plus duplicate and fork).

/** A block id the validation could not find: the predecessor, the linked SETTLE or an inherited head. */
export interface MissingBlock {
  readonly id: Uint8Array;
  /** The chain that holds it, so a sync can ask for the right range. */
  readonly account: Uint8Array;
  /** Its seq when known (the predecessor's), else null (then pull the chain's tail). */
  readonly seq: bigint | null;
}

export type BlockVerdict =
  | { readonly status: 'valid' }
  | {
      readonly status: 'invalid';
      readonly reason: string;
      /** Refused by a rule that depends on the receiver (its clock, its parameters): no proof of bad faith. */
      readonly disputable?: true;
    }
  | { readonly status: 'partial'; readonly missing: MissingBlock }
  | { readonly status: 'duplicate' }
  | { readonly status: 'fork'; readonly reason: string };

/** How a gossip validator reports a verdict (gossipsub's accept / reject / ignore). */
export type GossipOutcome = 'accept' | 'reject' | 'ignore';

/**
 * invalid ⇒ reject (the sender's score drops), unless disputable (ignore: an honest relay may disagree with
 * this node's clock); partial and duplicate ⇒ ignore (pull); fork ⇒ ignore (a proof goes out instead).
 */
export function gossipOutcome(verdict: BlockVerdict): GossipOutcome {
  switch (verdict.status) {
    case 'valid':
      return 'accept';
    case 'invalid':
      return verdict.disputable ? 'ignore' : 'reject';
    case 'partial':
    case 'duplicate':
    case 'fork':
      return 'ignore';
  }
}

/** The one 'valid' verdict (shared: verdicts are read-only). */
export const VALID: BlockVerdict = Object.freeze({ status: 'valid' });

export function invalid(reason: string): BlockVerdict {
  return { status: 'invalid', reason };
}
