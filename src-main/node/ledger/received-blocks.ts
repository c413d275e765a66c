// Peers' blocks arriving at the ledger service (DESIGN.md §3, §5): validated in the view, then stored in one
// transaction with whatever deferred rows wait (a peer's block never lands in the store before one it
// follows), or — for the blocks a node acts on at once on an infer stream (issue 17) — applied in memory now
// and stored with the next group commit. A peer's block is never this node's promise: its author keeps it
// durable and gossips it, so after a crash sync brings it back, and an own block that depends on it (the
// CREDIT of a SETTLE) commits in the same transaction or a later one.
import type { Block } from '../../../src-shared/ledger/block.ts';
import type { FraudProof } from '../../../src-shared/ledger/fraud-proof.ts';
import type { ReceiveResult } from '../../../src-shared/ledger/ledger-view.ts';
import type { BlockVerdict } from '../../../src-shared/ledger/validation-result.ts';
import type { DeferredBatch, DeferredTarget } from './deferred-writes.ts';
import { headsOf } from './heads-cache.ts';
import type { LedgerHookPoint } from './ledger-service-init.ts';
import { asError } from './own-commit-queue.ts';

/** What receiving needs of the ledger service. */
export interface ReceiveContext {
  readonly state: DeferredTarget;
  /** The deferred rows waiting, taken to run in this transaction. */
  takeDeferred(): DeferredBatch;
  /** Write with the next group commit. */
  defer(write: (target: DeferredTarget) => void): void;
  readonly hook: (point: LedgerHookPoint) => void;
  /** Blocks became valid ('ledger:changed'). */
  changed(applied: readonly Block[]): void;
  /** New fraud proofs were stored (possibly none). */
  proven(proofs: readonly FraudProof[]): void;
}

/** Store what receiving blocks applied (and any fork evidence and proofs) in one transaction, then tell. */
export function storeReceived(context: ReceiveContext, results: readonly ReceiveResult[], now: bigint): void {
  const { state, hook } = context;
  const { store, view } = state;
  const applied: Block[] = [];
  const proofs: FraudProof[] = [];
  const forks: Block[] = [];
  for (const result of results) {
    applied.push(...result.applied);
    forks.push(...result.evidence);
    if (result.proof) proofs.push(result.proof);
  }
  hook('receive-applied');
  if (applied.length > 0 || forks.length > 0) {
    // Deferred rows first: a peer's block received here never lands in the store before one it follows.
    const deferred = context.takeDeferred();
    try {
      store.transaction(() => {
        deferred.run(state);
        store.insertValid(
          applied,
          headsOf(
            view,
            applied.map((b) => b.body.account),
          ),
          false,
          Number(now),
        );
        for (const fork of forks) store.insertFork(fork, Number(now));
        for (const proof of proofs) store.insertProof(proof, Number(now));
        hook('receive-inserted');
      });
    } catch (error) {
      deferred.failed(asError(error));
      throw error;
    }
    deferred.committed();
  }
  context.proven(proofs);
  if (applied.length > 0) context.changed(applied);
}

/**
 * Check and apply `blocks` in memory now, store them with the next group commit. From the first block that
 * reveals a fork or a fraud proof on, they are stored at once (`receive` takes the rest).
 */
export function receiveDeferred(
  context: ReceiveContext,
  blocks: readonly Block[],
  now: bigint,
  receive: (rest: readonly Block[]) => BlockVerdict[],
): BlockVerdict[] {
  const { view } = context.state;
  const verdicts: BlockVerdict[] = [];
  const applied: Block[] = [];
  for (const [i, block] of blocks.entries()) {
    const result = view.receive(block, now);
    if (result.evidence.length > 0 || result.proof) {
      // Rare and not on a fast path: the ordinary receive stores what this one applied so far, then the rest.
      if (applied.length > 0) {
        deferInsert(context, applied, now);
        context.changed(applied);
      }
      storeReceived(context, [result], now);
      return [...verdicts, result.verdict, ...receive(blocks.slice(i + 1))];
    }
    verdicts.push(result.verdict);
    applied.push(...result.applied);
  }
  if (applied.length > 0) {
    deferInsert(context, applied, now);
    context.changed(applied);
  }
  return verdicts;
}

function deferInsert(context: ReceiveContext, applied: readonly Block[], now: bigint): void {
  context.defer(({ store, view }) =>
    store.insertValid(
      applied,
      headsOf(
        view,
        applied.map((b) => b.body.account),
      ),
      false,
      Number(now),
    ),
  );
}
