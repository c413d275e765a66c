// Group commit of the node's own chain (issue 17): appends asked for by concurrent requests wait in one queue
// and are built, signed, checked and inserted in ONE transaction with ONE fsync (synchronous=FULL), instead of
// a transaction and an fsync each. The queue flushes on the next turn of the event loop, i.e. when the commit
// before it has finished (SQLite's commit is synchronous: nothing else runs meanwhile), so the appends that
// arrived during a commit form the next batch. Nothing of a batch is published before its COMMIT returns:
// every block is durable before a peer can see it (ref/ledger-design.md §9).
import type { Block, BlockBody } from '../../../src-shared/ledger/block.ts';
import type { ChainState } from '../../../src-shared/ledger/chain-state.ts';

/** Builds an own block's body from the validated state of the own chain (undefined before the OPEN). */
export type OwnBlockBuilder = (state: ChainState | undefined) => BlockBody;

/** One queued append and how its caller learns the outcome. */
export interface QueuedAppend {
  readonly build: OwnBlockBuilder;
  readonly done: (outcome: { readonly block: Block } | { readonly error: Error }) => void;
}

export interface OwnCommitQueueComponents {
  /**
   * Commit `batch` in one transaction (in order: each append sees the ones before it) and report each
   * append's outcome through its `done`. Never throws. Empty after a kick (deferred writes only).
   */
  readonly commitBatch: (batch: readonly QueuedAppend[]) => void;
}

/** The most appends one transaction takes: bounds how long one commit holds the event loop. */
export const MAX_APPENDS_PER_COMMIT = 512;

export class OwnCommitQueue {
  readonly #components: OwnCommitQueueComponents;
  #queue: QueuedAppend[] = [];
  #scheduled: ReturnType<typeof setImmediate> | null = null;
  /** A commit is wanted even without appends (deferred writes wait for it: deferred-writes.ts). */
  #kicked = false;

  constructor(components: OwnCommitQueueComponents) {
    this.#components = components;
  }

  /** Queue an append; it commits with whatever else is queued when the current turn ends. */
  append(build: OwnBlockBuilder): Promise<Block> {
    return new Promise<Block>((resolve, reject) => {
      this.#queue.push({
        build,
        done: (outcome) => ('block' in outcome ? resolve(outcome.block) : reject(outcome.error)),
      });
      this.#schedule();
    });
  }

  /**
   * Append now, synchronously: whatever is queued commits first, in the same transaction (the chain's order
   * is the order appends were asked for).
   */
  appendNow(build: OwnBlockBuilder): Block {
    let outcome: { readonly block: Block } | { readonly error: Error } | null = null;
    this.#queue.push({ build, done: (o) => (outcome = o) });
    this.flush();
    const result = outcome as { readonly block: Block } | { readonly error: Error } | null;
    if (result === null) throw new Error('unreachable: a flushed append has no outcome');
    if ('error' in result) throw result.error;
    return result.block;
  }

  /** Commit everything queued now (a kicked queue commits once even with no appends). */
  flush(): void {
    if (this.#scheduled !== null) {
      clearImmediate(this.#scheduled);
      this.#scheduled = null;
    }
    if (this.#queue.length === 0 && this.#kicked) this.#commitNext();
    while (this.#queue.length > 0) this.#commitNext();
  }

  /** Commit on the next turn even if no append is queued by then (other writes ride with that commit). */
  kick(): void {
    this.#kicked = true;
    this.#schedule();
  }

  /** Appends waiting for the next commit. */
  get queued(): number {
    return this.#queue.length;
  }

  #commitNext(): void {
    this.#kicked = false;
    this.#components.commitBatch(this.#queue.splice(0, MAX_APPENDS_PER_COMMIT));
  }

  /** Refuse everything still queued (the service stops). */
  close(error: Error): void {
    if (this.#scheduled !== null) clearImmediate(this.#scheduled);
    this.#scheduled = null;
    this.#kicked = false;
    const left = this.#queue;
    this.#queue = [];
    for (const entry of left) entry.done({ error });
  }

  #schedule(): void {
    if (this.#scheduled !== null) return;
    this.#scheduled = setImmediate(() => {
      this.#scheduled = null;
      // One batch per turn: a longer queue lets the event loop run between commits.
      this.#commitNext();
      if (this.#queue.length > 0 || this.#kicked) this.#schedule();
    });
  }
}

/** What was thrown, as an Error (builders may throw anything). */
export function asError(thrown: unknown): Error {
  return thrown instanceof Error ? thrown : new Error(String(thrown));
}
