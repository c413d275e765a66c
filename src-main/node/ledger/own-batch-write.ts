// One group commit of own blocks (own-commit-queue.ts): inside ONE transaction, each queued append is built
// on the state the appends before it left, signed, checked by the rules and inserted; the view applies it at
// once so the next one builds on it. An append its builder or the rules refuse is left out alone; a failure
// of the store fails the whole batch (nothing of it is durable, and the caller reloads the view when blocks
// were already applied in memory).
import { BLOCK_KIND_NAMES, type Block, type BlockBody } from '../../../src-shared/ledger/block.ts';
import type { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';
import type { BlockVerdict } from '../../../src-shared/ledger/validation-result.ts';
import { OwnBlockRejectedError } from './errors.ts';
import { headsOf } from './heads-cache.ts';
import type { LedgerHookPoint } from './ledger-service.ts';
import type { LedgerStore } from './ledger-store.ts';
import { asError, type QueuedAppend } from './own-commit-queue.ts';

export interface OwnBatchContext {
  readonly store: LedgerStore;
  readonly view: LedgerView;
  readonly account: Uint8Array;
  readonly now: bigint;
  readonly sign: (body: BlockBody) => Block;
  readonly hook: (point: LedgerHookPoint) => void;
  /** Runs first inside the transaction (the deferred writes that ride with this commit). */
  readonly before?: () => void;
}

export interface OwnBatchOutcome {
  /** Committed own blocks, in chain order. */
  readonly committed: readonly { readonly entry: QueuedAppend; readonly block: Block }[];
  /** Appends the builder or the rules refused (nothing of them was written). */
  readonly refused: readonly { readonly entry: QueuedAppend; readonly error: Error }[];
  /** Every block that became valid in the view (own blocks and peers' blocks they unlocked). */
  readonly applied: readonly Block[];
}

/** The batch's transaction did not commit. */
export class OwnBatchFailedError extends Error {
  override readonly name = 'OwnBatchFailedError';
  /** True when the view already holds blocks of the batch (it must be rebuilt from the store). */
  readonly appliedInMemory: boolean;

  constructor(cause: unknown, appliedInMemory: boolean) {
    super('the own-chain commit failed', { cause });
    this.appliedInMemory = appliedInMemory;
  }
}

/** Write a batch of own appends in one transaction. Throws OwnBatchFailedError when it does not commit. */
export function writeOwnBatch(batch: readonly QueuedAppend[], context: OwnBatchContext): OwnBatchOutcome {
  const { store, view, account, now, hook } = context;
  const committed: { entry: QueuedAppend; block: Block }[] = [];
  const refused: { entry: QueuedAppend; error: Error }[] = [];
  const applied: Block[] = [];
  try {
    store.transaction(() => {
      context.before?.();
      // The store, not memory, says which seq comes next.
      const stored = store.maxSeq(account);
      if (stored !== BigInt(view.chain(account)?.ids.length ?? 0))
        throw new OwnBlockRejectedError(`own chain in the store (seq ${stored}) is ahead of memory`);
      const unlocked: Block[] = [];
      for (const entry of batch) {
        let signed: Block;
        try {
          signed = signChecked(entry, context);
        } catch (error) {
          refused.push({ entry, error: asError(error) });
          continue;
        }
        const body = signed.body;
        const head = {
          account: body.account,
          seq: body.seq,
          id: signed.id,
          balance: body.balanceAfter,
          reserved: body.reservedAfter,
        };
        store.insertValid([signed], [head], true, Number(now));
        hook('inserted');
        const result = view.receive(signed, now, { trusted: true });
        committed.push({ entry, block: signed });
        applied.push(...result.applied);
        unlocked.push(...result.applied.slice(1));
      }
      if (unlocked.length > 0)
        store.insertValid(
          unlocked,
          headsOf(
            view,
            unlocked.map((b) => b.body.account),
          ),
          false,
          Number(now),
        );
    });
  } catch (error) {
    throw new OwnBatchFailedError(error, committed.length > 0);
  }
  return { committed, refused, applied };
}

function signChecked(entry: QueuedAppend, context: OwnBatchContext): Block {
  const { view, account, now, hook } = context;
  const body = entry.build(view.chain(account));
  hook('built');
  const signed = context.sign(body);
  hook('signed');
  const verdict = view.check(signed, now, { trusted: true });
  if (verdict.status !== 'valid')
    throw new OwnBlockRejectedError(`own ${BLOCK_KIND_NAMES[body.kind]} rejected: ${describe(verdict)}`);
  return signed;
}

function describe(verdict: BlockVerdict): string {
  switch (verdict.status) {
    case 'invalid':
      return verdict.reason;
    case 'partial':
      return 'a block it depends on is missing';
    case 'fork':
    case 'duplicate':
    case 'valid':
      return verdict.status;
  }
}
