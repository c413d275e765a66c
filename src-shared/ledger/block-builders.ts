// Build the body of an account's next block from its validated chain state. The results still go through
// LedgerView.check before they are signed into the store: a builder never decides validity.
import { BLOCK_FORMAT_VERSION, BlockKind, type BlockBody, type Output } from './block.ts';
import { ZERO32 } from './bytes.ts';
import type { ChainState, OpenReservation } from './chain-state.ts';
import { expectedOutputs } from './chain-state.ts';
import { requestCost } from './economy.ts';
import type { LedgerParams } from './ledger-params.ts';
import { encodeMachineBinding, type MachineBinding } from './machine-binding.ts';
import { encodeReserveTerms, type ReserveTerms } from './reserve-terms.ts';

const EMPTY = new Uint8Array(0);

function base(
  params: LedgerParams,
  state: ChainState,
  ts: bigint,
): Pick<BlockBody, 'v' | 'net' | 'account' | 'seq' | 'prev' | 'ts'> {
  return {
    v: BLOCK_FORMAT_VERSION,
    net: params.networkId,
    account: state.account,
    seq: BigInt(state.ids.length) + 1n,
    prev: state.ids[state.ids.length - 1]!,
    ts,
  };
}

const NO_REQUEST = {
  requestId: ZERO32,
  counterparty: ZERO32,
  linkId: ZERO32,
  linkIndex: 0,
  outputs: [] as Output[],
  promptTokens: 0,
  completionTokens: 0,
};

/** The first block: `amount` is the genesis allocation, the inherited (negative) debt, or 0. */
export function buildOpen(
  params: LedgerParams,
  account: Uint8Array,
  ts: bigint,
  binding: MachineBinding,
  amount: bigint,
): BlockBody {
  return {
    v: BLOCK_FORMAT_VERSION,
    net: params.networkId,
    account,
    seq: 1n,
    prev: ZERO32,
    kind: BlockKind.OPEN,
    ts,
    ...NO_REQUEST,
    amount,
    balanceAfter: amount,
    reservedAfter: 0n,
    extra: encodeMachineBinding(binding),
  };
}

/** Reserve the quote's maximum: `terms.maxCost` must equal price × maximum work units. */
export function buildReserve(
  params: LedgerParams,
  state: ChainState,
  ts: bigint,
  request: {
    requestId: Uint8Array;
    worker: Uint8Array;
    maxPromptTokens: number;
    maxCompletionTokens: number;
    terms: ReserveTerms;
  },
): BlockBody {
  return {
    ...base(params, state, ts),
    kind: BlockKind.RESERVE,
    requestId: request.requestId,
    counterparty: request.worker,
    linkId: request.terms.quoteId,
    linkIndex: 0,
    amount: 0n,
    outputs: [],
    promptTokens: request.maxPromptTokens,
    completionTokens: request.maxCompletionTokens,
    balanceAfter: state.balance,
    reservedAfter: state.reserved + request.terms.maxCost,
    extra: encodeReserveTerms(request.terms),
  };
}

/** ReserveTerms for a tier at the network price, maxCost computed from the maximum token counts. */
export function reserveTermsFor(
  params: LedgerParams,
  tier: string,
  quoteId: Uint8Array,
  shares: ReserveTerms['shares'],
  maxPromptTokens: number,
  maxCompletionTokens: number,
  expiresAt: bigint,
): ReserveTerms {
  const price = Object.hasOwn(params.prices, tier) ? params.prices[tier] : undefined;
  if (!price) throw new RangeError(`no price for tier ${tier}`);
  return {
    quoteId,
    tier,
    pricePerUnit: price.pricePerUnit,
    promptWeight: price.promptWeight,
    completionWeight: price.completionWeight,
    maxCost: requestCost(price, maxPromptTokens, maxCompletionTokens),
    expiresAt,
    shares,
  };
}

/** Pay for the actual token counts: outputs are the exact split of the reservation's terms. */
export function buildSettle(
  params: LedgerParams,
  state: ChainState,
  ts: bigint,
  reservation: OpenReservation,
  requestId: Uint8Array,
  receiptId: Uint8Array,
  promptTokens: number,
  completionTokens: number,
): BlockBody {
  const outputs = expectedOutputs(reservation.terms, promptTokens, completionTokens);
  let total = 0n;
  for (const o of outputs) total += o.amount;
  return {
    ...base(params, state, ts),
    kind: BlockKind.SETTLE,
    requestId,
    counterparty: ZERO32,
    linkId: receiptId,
    linkIndex: 0,
    amount: -total,
    outputs,
    promptTokens,
    completionTokens,
    balanceAfter: state.balance - total,
    reservedAfter: state.reserved - reservation.terms.maxCost,
    extra: EMPTY,
  };
}

/** Claim one output of a validated SETTLE. */
export function buildCredit(
  params: LedgerParams,
  state: ChainState,
  ts: bigint,
  claim: { settleId: Uint8Array; index: number; payer: Uint8Array; requestId: Uint8Array; amount: bigint },
): BlockBody {
  return {
    ...base(params, state, ts),
    kind: BlockKind.CREDIT,
    ...NO_REQUEST,
    requestId: claim.requestId,
    counterparty: claim.payer,
    linkId: claim.settleId,
    linkIndex: claim.index,
    amount: claim.amount,
    balanceAfter: state.balance + claim.amount,
    reservedAfter: state.reserved,
    extra: EMPTY,
  };
}

/** Free an expired reservation for which no token was delivered. */
export function buildRelease(
  params: LedgerParams,
  state: ChainState,
  ts: bigint,
  reservation: OpenReservation,
  requestId: Uint8Array,
): BlockBody {
  return {
    ...base(params, state, ts),
    kind: BlockKind.RELEASE,
    ...NO_REQUEST,
    requestId,
    linkId: reservation.reserveId,
    amount: 0n,
    balanceAfter: state.balance,
    reservedAfter: state.reserved - reservation.terms.maxCost,
    extra: EMPTY,
  };
}
