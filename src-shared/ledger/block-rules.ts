// The rules a block must meet on its own, with no other block at hand (ref/ledger-design.md §6, first part):
// network, version, signature, seq/prev/kind coherence, per-kind field emptiness, amount sign, outputs.
import { BlockKind, type Block } from './block.ts';
import { BlockFacts } from './block-facts.ts';
import { bytesEqual, compareBytes, isZero32 } from './bytes.ts';
import { isAcceptableAccountKey, isCanonicalSignature, type SignatureVerifier } from './ed25519-strict.ts';
import type { LedgerParams } from './ledger-params.ts';
import { MAX_OUTPUTS } from './block-codec.ts';
import { requestCost } from './economy.ts';

/**
 * The stand-alone rules whose outcome depends on the receiver: its clock, and the network parameters it holds.
 * A block that breaks one is refused here but proves nothing against whoever relayed it (security finding
 * 14): an honest peer with another clock, or another revision of the config, may hold it valid. Run after
 * checkBlockAlone.
 */
export function checkBlockHere(
  block: Block,
  params: LedgerParams,
  nowMs: bigint,
  facts: BlockFacts = new BlockFacts(block),
): string | null {
  const b = block.body;
  if (b.ts > nowMs + params.maxClockSkewMs) return 'timestamp in the future';
  if (b.kind !== BlockKind.RESERVE) return null;
  const terms = facts.terms;
  if (terms === null) return 'RESERVE without valid terms';
  const price = Object.hasOwn(params.prices, terms.tier) ? params.prices[terms.tier] : undefined;
  if (
    price === undefined ||
    price.pricePerUnit !== terms.pricePerUnit ||
    price.promptWeight !== terms.promptWeight ||
    price.completionWeight !== terms.completionWeight
  )
    return 'RESERVE price is not the network price';
  if (terms.maxCost !== requestCost(price, b.promptTokens, b.completionTokens))
    return 'RESERVE maxCost is not price × maximum work units';
  if (terms.maxCost > params.maxRequestCost) return 'RESERVE above the maximum request cost';
  return null;
}

/**
 * Null when the block passes every stand-alone rule, else the first rule it breaks. `facts` (of this block)
 * keeps what the rules decode for the steps after this one.
 */
export function checkBlockAlone(
  block: Block,
  params: LedgerParams,
  verify: SignatureVerifier,
  facts: BlockFacts = new BlockFacts(block),
): string | null {
  const b = block.body;
  if (!bytesEqual(b.net, params.networkId)) return 'another network';
  if (!isAcceptableAccountKey(b.account)) return 'unacceptable account key';
  // isAcceptableAccountKey and isCanonicalSignature together are precheckEd25519.
  if (!isCanonicalSignature(block.sig) || !verify(block.sig, block.id, b.account)) return 'bad signature';
  if (b.seq < 1n) return 'seq 0';
  const first = b.seq === 1n;
  if (first !== isZero32(b.prev) || first !== (b.kind === BlockKind.OPEN))
    return 'seq 1, zero prev and OPEN go together';
  if (b.reservedAfter < 0n) return 'negative reserved';
  const noRequest = isZero32(b.requestId);
  const noCounterparty = isZero32(b.counterparty);
  const noLink = isZero32(b.linkId);
  const noTokens = b.promptTokens === 0 && b.completionTokens === 0;
  const noOutputs = b.outputs.length === 0;
  const noExtra = b.extra.length === 0;
  switch (b.kind) {
    case BlockKind.OPEN: {
      if (!noRequest || !noCounterparty || !noLink || b.linkIndex !== 0 || !noTokens || !noOutputs)
        return 'OPEN carries request fields';
      if (b.balanceAfter !== b.amount || b.reservedAfter !== 0n) return 'OPEN balance must equal its amount';
      const binding = facts.binding;
      if (binding === null) return 'OPEN without a valid machine binding';
      if (binding.inherits && bytesEqual(binding.inherits.predecessor, b.account))
        return 'OPEN inherits from itself';
      return null;
    }
    case BlockKind.RESERVE: {
      if (noRequest || noCounterparty || noLink || b.linkIndex !== 0 || !noOutputs || b.amount !== 0n)
        return 'RESERVE fields';
      const terms = facts.terms;
      if (terms === null) return 'RESERVE without valid terms';
      if (!bytesEqual(terms.quoteId, b.linkId)) return 'RESERVE linkId is not its quote';
      return null;
    }
    case BlockKind.SETTLE: {
      if (noRequest || !noCounterparty || noLink || b.linkIndex !== 0 || !noExtra) return 'SETTLE fields';
      if (b.outputs.length > MAX_OUTPUTS) return 'too many outputs';
      let sum = 0n;
      for (let i = 0; i < b.outputs.length; i++) {
        const o = b.outputs[i]!;
        if (o.amount <= 0n) return 'output amount must be positive';
        if (i > 0 && compareBytes(b.outputs[i - 1]!.payee, o.payee) >= 0)
          return 'outputs not sorted by payee';
        sum += o.amount;
      }
      if (b.amount !== -sum) return 'SETTLE amount is not minus the outputs';
      return null;
    }
    case BlockKind.CREDIT: {
      if (noRequest || noCounterparty || noLink || !noTokens || !noOutputs || !noExtra)
        return 'CREDIT fields';
      if (b.amount <= 0n) return 'CREDIT amount must be positive';
      return null;
    }
    case BlockKind.RELEASE: {
      if (noRequest || !noCounterparty || noLink || b.linkIndex !== 0 || !noTokens || !noOutputs || !noExtra)
        return 'RELEASE fields';
      if (b.amount !== 0n) return 'RELEASE moves no tokens';
      return null;
    }
  }
}
