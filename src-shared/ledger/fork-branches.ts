// The non-canonical branches of forked chains (security finding 12, fork contagion). A requester that signs
// two branches pays a worker on each; a node that picked one branch as canonical used to keep the other's
// SETTLE only as fraud evidence, so the CREDIT of the worker paid there (and that worker's whole later chain)
// waited forever for a SETTLE it could never validate. Here a fork branch is validated from its fork point by
// the same chain rules (a copy of the canonical state there), and its SETTLEs' outputs become claimable.
// Set semantics (ref/ledger-design.md §3): whatever a branch spends is extra debt of the forker, so
// conservation stays exact. Only what pays others is followed (RESERVE, SETTLE, RELEASE): a CREDIT on a
// branch could claim an output twice, so it stays evidence only. Bounded per account.
import { BlockKind, type Block } from './block.ts';
import type { BlockFacts } from './block-facts.ts';
import { bytesEqual, mapKey } from './bytes.ts';
import { applyNext, checkNext, type ChainContext, type ChainState } from './chain-state.ts';

/** Branch blocks followed per forked account, at most (beyond: evidence only). */
export const MAX_BRANCH_BLOCKS = 64;
/** Fork blocks kept per account as evidence (a forker may sign any number of bodies). */
export const MAX_FORK_BLOCKS = 256;

export class ForkBranches {
  readonly #blockOf: (id: Uint8Array) => Block;
  readonly #factsOf: (block: Block) => BlockFacts;
  /** mapKey(branch block id) → the branch's state after that block. */
  readonly #after = new Map<string, ChainState>();
  /** mapKey(account) → branch blocks followed. */
  readonly #count = new Map<string, number>();
  /** mapKey(account) → Σ amounts of its branch blocks (≤ 0: what the branches spent). */
  readonly #spent = new Map<string, bigint>();
  /** mapKey(account) → fork blocks kept, and the lowest seq from which its branches may differ. */
  readonly #forks = new Map<string, { count: number; from: bigint }>();
  /** mapKey(missing predecessor) → fork blocks waiting for it. */
  readonly #orphans = new Map<string, BlockFacts[]>();

  /** `blockOf` gives a canonical block by id (to rebuild the state at a fork point). */
  constructor(blockOf: (id: Uint8Array) => Block, factsOf: (block: Block) => BlockFacts) {
    this.#blockOf = blockOf;
    this.#factsOf = factsOf;
  }

  /**
   * Count a fork block of an account that may differ from the canonical chain from seq `from` on; false
   * when the account has used up its bound (the block is then not kept, unless it is the first proof).
   */
  noteFork(accountKey: string, from: bigint): boolean {
    const forks = this.#forks.get(accountKey) ?? { count: 0, from };
    if (forks.count >= MAX_FORK_BLOCKS) return false;
    forks.count++;
    if (from < forks.from) forks.from = from;
    this.#forks.set(accountKey, forks);
    return true;
  }

  /** The lowest seq from which the account's branches may differ (at most `proofSeq`), or null. */
  forkFrom(accountKey: string, proofSeq: bigint | null): bigint | null {
    const from = this.#forks.get(accountKey)?.from ?? null;
    if (from === null || (proofSeq !== null && proofSeq < from)) return proofSeq;
    return from;
  }

  /** True when `prevKey` (a mapKey of a block id) is a followed branch block: its successor is a branch. */
  has(prevKey: string): boolean {
    return this.#after.size > 0 && this.#after.has(prevKey);
  }

  /** What the account's branches spent beyond its canonical chain (0n when none). */
  spentBy(accountKey: string): bigint {
    return this.#spent.get(accountKey) ?? 0n;
  }

  /**
   * Follow `facts.block` (already checked alone and found not canonical) on its branch, if its predecessor is
   * a followed branch block or a block of the `canonical` chain. A
   * block whose predecessor is itself a fork block not seen yet waits for it (an orphan). Returns the blocks
   * that now extend a branch, this one and the orphans it unlocked, in order: their SETTLEs' outputs are the
   * caller's to index.
   */
  extend(facts: BlockFacts, ctx: ChainContext, canonical: ChainState | undefined): BlockFacts[] {
    const extended: BlockFacts[] = [];
    const queue = [facts];
    for (let next = queue.shift(); next; next = queue.shift()) {
      if (!this.#extendOne(next, ctx, canonical)) continue;
      extended.push(next);
      const orphans = this.#orphans.get(next.idKey);
      if (orphans) {
        this.#orphans.delete(next.idKey);
        queue.push(...orphans);
      }
    }
    return extended;
  }

  #extendOne(facts: BlockFacts, ctx: ChainContext, canonical: ChainState | undefined): boolean {
    const b = facts.block.body;
    if (b.kind !== BlockKind.RESERVE && b.kind !== BlockKind.SETTLE && b.kind !== BlockKind.RELEASE)
      return false;
    if (b.seq < 2n || this.#after.has(facts.idKey)) return false;
    const count = this.#count.get(facts.accountKey) ?? 0;
    if (count >= MAX_BRANCH_BLOCKS) return false;
    const prevKey = mapKey(b.prev);
    let parent = this.#after.get(prevKey);
    if (parent === undefined) {
      const at = canonical?.ids[Number(b.seq) - 2];
      if (at === undefined || !bytesEqual(at, b.prev)) {
        // Its predecessor is another fork block this node has not seen yet.
        const waiting = this.#orphans.get(prevKey) ?? [];
        if (waiting.length < MAX_BRANCH_BLOCKS) waiting.push(facts);
        this.#orphans.set(prevKey, waiting);
        return false;
      }
      // The canonical state at the fork point, rebuilt from its blocks (rare: once per fork point).
      parent = replayChain(canonical!.ids.slice(0, Number(b.seq) - 1).map(this.#blockOf), this.#factsOf)!;
    }
    const state = copyOf(parent);
    if (checkNext(state, facts.block, ctx, facts).status !== 'valid') return false;
    this.#after.set(facts.idKey, applyNext(state, facts.block, facts));
    this.#count.set(facts.accountKey, count + 1);
    this.#spent.set(facts.accountKey, this.spentBy(facts.accountKey) + b.amount);
    return true;
  }
}

function copyOf(state: ChainState): ChainState {
  return {
    ...state,
    ids: [...state.ids],
    open: new Map(state.open),
    reservedRequests: new Set(state.reservedRequests),
    claimed: new Set(state.claimed),
  };
}

/** A chain's state after `blocks` (its first blocks, in order). */
function replayChain(
  blocks: readonly Block[],
  factsOf: (block: Block) => BlockFacts,
): ChainState | undefined {
  let state: ChainState | undefined;
  for (const block of blocks) state = applyNext(state, block, factsOf(block));
  return state;
}
