// One account's chain as a node has validated it, and the rules that need the predecessor and the chain's
// history (ref/ledger-design.md §6, second part). `checkNext` decides; `applyNext` then updates the state,
// so a rejected block never leaves a half-applied state behind.
import { BlockKind, type Block, type Output } from './block.ts';
import { BlockFacts } from './block-facts.ts';
import { bytesEqual } from './bytes.ts';
import { admission, workUnits } from './economy.ts';
import type { LedgerParams } from './ledger-params.ts';
import { splitPayment } from './payment-split.ts';
import type { ReserveTerms } from './reserve-terms.ts';
import { invalid, VALID, type BlockVerdict, type MissingBlock } from './validation-result.ts';

/** A RESERVE that is neither settled nor released yet. */
export interface OpenReservation {
  readonly reserveId: Uint8Array;
  readonly terms: ReserveTerms;
  readonly maxPromptTokens: number;
  readonly maxCompletionTokens: number;
}

export interface ChainState {
  readonly account: Uint8Array;
  /** Ids of the chain's blocks; ids[i] is the block at seq i + 1. */
  readonly ids: Uint8Array[];
  headTs: bigint;
  /** The OPEN's timestamp: which of two accounts on one machine is the newer (ref/ledger-design.md §10). */
  readonly openedTs: bigint;
  balance: bigint;
  reserved: bigint;
  /** Σ of CREDIT amounts and Σ of SETTLE totals: earned and spent, for display. */
  earned: bigint;
  spent: bigint;
  /** Open reservations by toHex(requestId). */
  readonly open: Map<string, OpenReservation>;
  /** Every requestId this chain ever reserved (one RESERVE per requestId, ever), as mapKey(requestId). */
  readonly reservedRequests: Set<string>;
  /** SETTLE outputs this chain claimed, as mapKeyWithIndex(settleId, index). */
  readonly claimed: Set<string>;
  readonly fingerprint: readonly Uint8Array[];
}

/** What the chain rules need to know about other chains. */
export interface ChainContext {
  readonly params: LedgerParams;
  /** The genesis amount of an account, 0n when it has none. */
  genesisOf(account: Uint8Array): bigint;
  /** A validated SETTLE's output, or why it cannot be had. */
  outputOf(
    settleId: Uint8Array,
    index: number,
  ):
    | {
        readonly status: 'found';
        readonly payer: Uint8Array;
        readonly requestId: Uint8Array;
        readonly output: Output;
        readonly claimed: boolean;
      }
    | { readonly status: 'missing' }
    | { readonly status: 'not-a-settle' };
  /** The balanceAfter of a validated block (account, seq, id), or null when this node has not validated it. */
  balanceAt(account: Uint8Array, seq: bigint, id: Uint8Array): bigint | null;
  /** True when some account already took over this predecessor's debt. */
  isInherited(predecessor: Uint8Array): boolean;
}

/** The seq of a chain's head (0n for none). */
export function headSeq(state: ChainState | undefined): bigint {
  return state ? BigInt(state.ids.length) : 0n;
}

/**
 * seq ≤ the head's seq, without a bigint per call. Exact: a seq above 2^53 becomes a number ≥ 2^53, still
 * above any chain length.
 */
export function isAtOrBelowHead(seq: bigint, state: ChainState | undefined): boolean {
  return Number(seq) <= (state ? state.ids.length : 0);
}

function missing(id: Uint8Array, account: Uint8Array, seq: bigint | null): BlockVerdict {
  const m: MissingBlock = { id, account, seq };
  return { status: 'partial', missing: m };
}

/**
 * Decide whether `block` (already checked alone) extends `state` (undefined: no block of this account yet).
 * Blocks at or below the head are the caller's business (duplicate or fork). `facts` are the block's, kept
 * from the stand-alone check.
 */
export function checkNext(
  state: ChainState | undefined,
  block: Block,
  ctx: ChainContext,
  facts: BlockFacts = new BlockFacts(block),
): BlockVerdict {
  const b = block.body;
  const p = ctx.params;
  // b.seq > head + 1, as numbers (exact, as in isAtOrBelowHead).
  if (Number(b.seq) > (state ? state.ids.length : 0) + 1) {
    return missing(b.prev, b.account, b.seq - 1n);
  }
  if (state === undefined) {
    // b.seq === 1n: an OPEN (checked alone).
    if (b.kind !== BlockKind.OPEN) return invalid('first block is not OPEN');
    const binding = facts.binding;
    if (binding === null) return invalid('OPEN without a valid machine binding');
    const genesis = ctx.genesisOf(b.account);
    if (genesis > 0n) {
      if (binding.inherits) return invalid('a genesis account inherits nothing');
      return b.amount === genesis ? VALID : invalid('OPEN amount is not the genesis allocation');
    }
    if (binding.inherits === null) return b.amount === 0n ? VALID : invalid('OPEN creates tokens');
    const { predecessor, seq: pSeq, head } = binding.inherits;
    const debt = ctx.balanceAt(predecessor, pSeq, head);
    if (debt === null) return missing(head, predecessor, pSeq);
    if (debt >= 0n) return invalid('only debt is inherited');
    if (ctx.isInherited(predecessor)) return invalid('that debt was already taken over');
    return b.amount === debt ? VALID : invalid('OPEN amount is not the inherited debt');
  }
  if (!bytesEqual(b.prev, state.ids[state.ids.length - 1]!)) {
    // Our block seq − 1 differs from the one this block follows: the other one exists somewhere. Pull it: it
    // will arrive as a fork of ours and produce the proof.
    return missing(b.prev, b.account, b.seq - 1n);
  }
  if (b.ts + p.maxClockSkewMs < state.headTs) return invalid('timestamp before its predecessor');
  switch (b.kind) {
    case BlockKind.OPEN:
      return invalid('OPEN after the first block');
    case BlockKind.RESERVE: {
      const terms = facts.terms;
      if (terms === null) return invalid('RESERVE without valid terms');
      if (state.reservedRequests.has(facts.requestKey)) return invalid('requestId reserved before (replay)');
      if (admission(p, state.balance, state.reserved, terms.maxCost) !== null)
        return invalid('RESERVE not admitted: available below the minimum or the floor');
      if (b.balanceAfter !== state.balance || b.reservedAfter !== state.reserved + terms.maxCost)
        return invalid('RESERVE balances');
      return VALID;
    }
    case BlockKind.SETTLE: {
      const reservation = state.open.get(facts.requestHex);
      if (!reservation) return invalid('SETTLE without an open RESERVE');
      if (
        b.promptTokens > reservation.maxPromptTokens ||
        b.completionTokens > reservation.maxCompletionTokens
      )
        return invalid('SETTLE above the reserved token counts');
      const expected = expectedOutputs(reservation.terms, b.promptTokens, b.completionTokens);
      if (expected.length !== b.outputs.length) return invalid('SETTLE outputs are not the split');
      for (let i = 0; i < expected.length; i++) {
        const e = expected[i]!;
        const o = b.outputs[i]!;
        if (!bytesEqual(e.payee, o.payee) || e.amount !== o.amount || e.units !== o.units)
          return invalid('SETTLE outputs are not the split');
      }
      if (
        b.balanceAfter !== state.balance + b.amount ||
        b.reservedAfter !== state.reserved - reservation.terms.maxCost
      )
        return invalid('SETTLE balances');
      return VALID;
    }
    case BlockKind.RELEASE: {
      const reservation = state.open.get(facts.requestHex);
      if (!reservation || !bytesEqual(reservation.reserveId, b.linkId))
        return invalid('RELEASE without its open RESERVE');
      if (b.ts < reservation.terms.expiresAt) return invalid('RELEASE before the quote expired');
      if (b.balanceAfter !== state.balance || b.reservedAfter !== state.reserved - reservation.terms.maxCost)
        return invalid('RELEASE balances');
      return VALID;
    }
    case BlockKind.CREDIT: {
      const found = ctx.outputOf(b.linkId, b.linkIndex);
      if (found.status === 'missing') return missing(b.linkId, b.counterparty, null);
      if (found.status === 'not-a-settle') return invalid('CREDIT does not link a SETTLE');
      if (!bytesEqual(found.payer, b.counterparty) || !bytesEqual(found.requestId, b.requestId))
        return invalid('CREDIT payer or request differs from the SETTLE');
      if (!bytesEqual(found.output.payee, b.account)) return invalid('CREDIT claims another payee’s output');
      if (found.output.amount !== b.amount) return invalid('CREDIT amount differs from the output');
      if (found.claimed || state.claimed.has(facts.claimKey))
        return invalid('output already claimed (replay)');
      if (b.balanceAfter !== state.balance + b.amount || b.reservedAfter !== state.reserved)
        return invalid('CREDIT balances');
      return VALID;
    }
  }
}

/** The outputs a SETTLE must carry for these token counts under these terms. */
export function expectedOutputs(
  terms: ReserveTerms,
  promptTokens: number,
  completionTokens: number,
): Output[] {
  const units = workUnits(terms, promptTokens, completionTokens);
  const total = terms.pricePerUnit * units;
  if (total === 0n) return [];
  return splitPayment(
    total,
    terms.shares.map((s) => ({ payee: s.pk, units: s.weight * units })),
  );
}

/** Extend `state` by a block `checkNext` found valid; returns the (new or updated) state. */
export function applyNext(
  state: ChainState | undefined,
  block: Block,
  facts: BlockFacts = new BlockFacts(block),
): ChainState {
  const b = block.body;
  if (state === undefined) {
    const binding = facts.binding;
    return {
      account: b.account,
      ids: [block.id],
      headTs: b.ts,
      openedTs: b.ts,
      balance: b.balanceAfter,
      reserved: b.reservedAfter,
      earned: 0n,
      spent: 0n,
      open: new Map(),
      reservedRequests: new Set(),
      claimed: new Set(),
      fingerprint: binding?.fingerprint ?? [],
    };
  }
  state.ids.push(block.id);
  state.headTs = b.ts > state.headTs ? b.ts : state.headTs;
  state.balance = b.balanceAfter;
  state.reserved = b.reservedAfter;
  switch (b.kind) {
    case BlockKind.RESERVE: {
      const key = facts.requestHex;
      const terms = facts.terms!;
      state.reservedRequests.add(facts.requestKey);
      state.open.set(key, {
        reserveId: block.id,
        terms,
        maxPromptTokens: b.promptTokens,
        maxCompletionTokens: b.completionTokens,
      });
      break;
    }
    case BlockKind.SETTLE:
      state.open.delete(facts.requestHex);
      state.spent -= b.amount;
      break;
    case BlockKind.RELEASE:
      state.open.delete(facts.requestHex);
      break;
    case BlockKind.CREDIT:
      state.claimed.add(facts.claimKey);
      state.earned += b.amount;
      break;
    case BlockKind.OPEN:
      break;
  }
  return state;
}
