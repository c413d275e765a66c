// The contract's balance and earnings (DESIGN.md §8) read from the node's validated ledger: a pure,
// read-only projection of the own chain in a LedgerView. Amounts stay micro-tokens end to end
// (src-shared/ipc/earnings.ts says why), so the numbers are exactly those of GET /api/ledger.
import { publicKeyFromRaw } from '@libp2p/crypto/keys';
import { peerIdFromPublicKey } from '@libp2p/peer-id';
import type { Balance, BalancePoint, Earnings, EarningsEntry } from '../../../../src-shared/ipc/index.ts';
import { tierIdSchema } from '../../../../src-shared/ipc/index.ts';
import { BlockKind, type Block } from '../../../../src-shared/ledger/block.ts';
import { bytesEqual, toHex } from '../../../../src-shared/ledger/bytes.ts';
import type { LedgerView } from '../../../../src-shared/ledger/ledger-view.ts';
import { decodeReserveTerms } from '../../../../src-shared/ledger/reserve-terms.ts';
import { shortPeerId } from './node-views.ts';

/** The chart gets at most this many points (the contract's limit); longer chains are sampled evenly. */
export const MAX_SERIES_POINTS = 1000;
/** How far back from a SETTLE the RESERVE of the same request is looked for (requests overlap a little). */
const MAX_RESERVE_DISTANCE = 256n;
/** Blocks read per entry asked for: RESERVE and RELEASE blocks make no entry, so some blocks are skipped. */
const BLOCKS_PER_ENTRY = 8;

/** A ledger amount (bigint µT) as the contract's number; beyond ±9 billion tokens it cannot be exact. */
export function contractMicro(amount: bigint): number {
  if (amount > BigInt(Number.MAX_SAFE_INTEGER) || amount < -BigInt(Number.MAX_SAFE_INTEGER))
    throw new RangeError(`amount ${amount} µT is beyond what the ui contract carries exactly`);
  return Number(amount);
}

/**
 * What the Earnings page and the tray show: the own account's balance, held, earned and spent. Null until
 * the account's OPEN is in the ledger: a genesis allocation not opened yet is not a balance of 0.
 * `heldAhead`: µT of its open reservations held ahead of a request (the user's: counted as available).
 */
export function balanceOf(
  view: LedgerView,
  account: Uint8Array,
  minimumToRequest: bigint,
  heldAhead = 0n,
): Balance | null {
  const chain = view.chain(account);
  if (chain === undefined) return null;
  // balanceOf (not chain.balance): the same number GET /api/ledger reports as the account's balance.
  const balance = view.balanceOf(account);
  const reserved = chain.reserved - heldAhead;
  return {
    available: contractMicro(balance - reserved),
    reserved: contractMicro(reserved),
    heldAhead: contractMicro(heldAhead),
    earned: contractMicro(chain.earned),
    spent: contractMicro(chain.spent),
    minimumToRequest: contractMicro(minimumToRequest),
  };
}

export interface EarningsOptions {
  /** Most recent entries wanted (the contract allows 1–200). */
  readonly limit: number;
  /** The model a tier runs, from the network config; null when the config does not name the tier. */
  readonly modelOf: (tier: string) => string | null;
}

/** The balance after each own block over time (sampled), and the newest paid and answered requests. */
export function earningsOf(view: LedgerView, account: Uint8Array, options: EarningsOptions): Earnings | null {
  if (view.chain(account) === undefined) return null;
  return { series: seriesOf(view, account), recent: recentOf(view, account, options) };
}

function seriesOf(view: LedgerView, account: Uint8Array): BalancePoint[] {
  const points: BalancePoint[] = [];
  for (const seq of sampledSeqs(view.chain(account)?.ids.length ?? 0, MAX_SERIES_POINTS)) {
    const block = view.blockAt(account, BigInt(seq));
    if (block) points.push({ at: timeOf(block), balance: contractMicro(block.body.balanceAfter) });
  }
  return points;
}

/** At most `max` evenly spaced seqs of a chain of `length` blocks, ascending; the OPEN and the head always. */
export function sampledSeqs(length: number, max: number): number[] {
  if (length <= max) return Array.from({ length }, (_, index) => index + 1);
  if (max <= 1) return max === 1 ? [length] : [];
  return Array.from({ length: max }, (_, index) => 1 + Math.round((index * (length - 1)) / (max - 1)));
}

function recentOf(view: LedgerView, account: Uint8Array, options: EarningsOptions): EarningsEntry[] {
  const length = BigInt(view.chain(account)?.ids.length ?? 0);
  const entries: EarningsEntry[] = [];
  const lowest = length - BigInt(options.limit * BLOCKS_PER_ENTRY);
  for (let seq = length; seq >= 1n && seq > lowest && entries.length < options.limit; seq--) {
    const block = view.blockAt(account, seq);
    if (!block) break;
    const entry =
      block.body.kind === BlockKind.SETTLE
        ? spentEntry(view, block, options)
        : block.body.kind === BlockKind.CREDIT
          ? earnedEntry(view, block, options)
          : null;
    if (entry) entries.push(entry);
  }
  return entries;
}

/** A SETTLE of the own chain: what one of our chats cost. The RESERVE before it names tier and worker. */
function spentEntry(view: LedgerView, settle: Block, options: EarningsOptions): EarningsEntry {
  const b = settle.body;
  const reserve = reserveOf(view, b.account, b.requestId, b.seq);
  const tier = reserve ? tierOf(reserve) : null;
  return {
    id: toHex(settle.id),
    at: timeOf(settle),
    direction: 'spent',
    amount: contractMicro(-b.amount),
    tier,
    model: tier === null ? null : clip(options.modelOf(tier), 200),
    tokens: b.promptTokens + b.completionTokens,
    counterparty: reserve ? peerLabel(reserve.body.counterparty) : null,
  };
}

/** A CREDIT of the own chain: what answering someone's request earned. Its SETTLE says how long it was. */
function earnedEntry(view: LedgerView, credit: Block, options: EarningsOptions): EarningsEntry {
  const b = credit.body;
  const settle = view.block(b.linkId);
  const reserve = settle ? reserveOf(view, settle.body.account, b.requestId, settle.body.seq) : null;
  const tier = reserve ? tierOf(reserve) : null;
  return {
    id: toHex(credit.id),
    at: timeOf(credit),
    direction: 'earned',
    amount: contractMicro(b.amount),
    tier,
    model: tier === null ? null : clip(options.modelOf(tier), 200),
    tokens: settle ? settle.body.promptTokens + settle.body.completionTokens : 0,
    counterparty: peerLabel(b.counterparty),
  };
}

/** The RESERVE of `requestId` in `account`'s chain, searched backwards from just before `beforeSeq`. */
function reserveOf(
  view: LedgerView,
  account: Uint8Array,
  requestId: Uint8Array,
  beforeSeq: bigint,
): Block | null {
  const stop = beforeSeq - MAX_RESERVE_DISTANCE;
  for (let seq = beforeSeq - 1n; seq >= 1n && seq >= stop; seq--) {
    const block = view.blockAt(account, seq);
    if (!block) return null;
    if (block.body.kind === BlockKind.RESERVE && bytesEqual(block.body.requestId, requestId)) return block;
  }
  return null;
}

/** The tier of a RESERVE's terms, or null when it is not one the contract can name. */
function tierOf(reserve: Block): string | null {
  const tier = decodeReserveTerms(reserve.body.extra)?.tier;
  if (tier === undefined) return null;
  try {
    return tierIdSchema.parse(tier);
  } catch {
    // Another node's chain may carry any short text here; it is not shown.
    return null;
  }
}

function peerLabel(account: Uint8Array): string | null {
  try {
    return shortPeerId(peerIdFromPublicKey(publicKeyFromRaw(account)).toString());
  } catch {
    return null;
  }
}

/** A block's time as the contract's timestamp (its creator's clock; never negative). */
function timeOf(block: Block): number {
  const ts = block.body.ts;
  return ts < 0n ? 0 : ts > 8_640_000_000_000_000n ? 8.64e15 : Number(ts);
}

function clip(text: string | null, max: number): string | null {
  return text === null ? null : text.slice(0, max);
}
