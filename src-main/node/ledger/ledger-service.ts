// The ledger service (DESIGN.md §3): the SQLite store, the validated in-memory view, the node's own chain.
// Transport-agnostic: it emits 'block:publish' for every own block once committed and 'fraud:proof' for every
// new proof; the p2p layer gossips them and feeds received blocks back through receive(). Its parts: the replay
// at start (ledger-replay.ts), own appends through the group commit (own-commit-queue.ts, own-batch-write.ts),
// peers' blocks (received-blocks.ts), rows riding with commits (deferred-writes.ts), local reputation
// (reputation-table.ts), reservations held ahead (held-ahead.ts) and the admission of own requests.
import { TypedEventEmitter } from 'main-event';
import type { Block } from '../../../src-shared/ledger/block.ts';
import { buildCredit } from '../../../src-shared/ledger/block-builders.ts';
import { createBlock } from '../../../src-shared/ledger/block-codec.ts';
import { fromHex } from '../../../src-shared/ledger/bytes.ts';
import type { SignatureVerifier } from '../../../src-shared/ledger/ed25519-strict.ts';
import type { FraudProof } from '../../../src-shared/ledger/fraud-proof.ts';
import type { Hasher } from '../../../src-shared/ledger/hash.ts';
import type { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';
import { historyOf, summaryOf, type AccountSummary, type HistoryEntry } from './account-summary.ts';
import type { BlockVerdict } from '../../../src-shared/ledger/validation-result.ts';
import { LedgerNotStartedError } from './errors.ts';
import { PaymentJournal } from './payment-journal.ts';
import { LedgerStore } from './ledger-store.ts';
import { asError, OwnCommitQueue, type OwnBlockBuilder, type QueuedAppend } from './own-commit-queue.ts';
import { OwnBatchFailedError, writeOwnBatch, type OwnBatchOutcome } from './own-batch-write.ts';
import { createNativeVerifier, nativeSha256 } from './native-crypto.ts';
import { rememberingVerifier } from '../../../src-shared/ledger/verified-signatures.ts';
import { DeferredWrites, type DeferredTarget } from './deferred-writes.ts';
import { HeldAheadReservations } from './held-ahead.ts';
import { openingBody } from './account-opening.ts';
import { replayLedger } from './ledger-replay.ts';
import { assertCanRequest } from './request-admission.ts';
import { receiveDeferred, storeReceived, type ReceiveContext } from './received-blocks.ts';
import {
  LAZY_WRITE_DELAY_MS,
  type LedgerComponents,
  type LedgerEvents,
  type LedgerInit,
} from './ledger-service-init.ts';
import { ReputationTable, type RequestOutcome, type ScoredRecord } from './reputation-table.ts';

export type { LedgerComponents, LedgerEvents, LedgerHookPoint, LedgerInit } from './ledger-service-init.ts';

export class LedgerService extends TypedEventEmitter<LedgerEvents> {
  readonly #components: LedgerComponents;
  readonly #init: LedgerInit;
  readonly #now: () => bigint;
  readonly #verify: SignatureVerifier;
  readonly #hasher: Hasher;
  #state: {
    store: LedgerStore;
    view: LedgerView;
    headsConsistent: boolean;
    journal: PaymentJournal;
    held: HeldAheadReservations;
  } | null = null;
  readonly #reputation = new ReputationTable();
  readonly #commits = new OwnCommitQueue({ commitBatch: (batch) => this.#commitBatch(batch) });
  readonly #deferred = new DeferredWrites({
    kick: () => this.#commits.kick(),
    lazyDelayMs: LAZY_WRITE_DELAY_MS,
  });

  constructor(components: LedgerComponents, init: LedgerInit) {
    super();
    this.#components = components;
    this.#init = init;
    this.#now = init.now ?? (() => BigInt(Date.now()));
    // Each signature once per node: repeats (parked blocks, pulls, gossip and sync) hit the memory.
    this.#verify = init.verify ?? rememberingVerifier(createNativeVerifier());
    this.#hasher = init.hasher ?? nativeSha256;
  }

  /** Open the store, replay every stored block into a fresh view, check the heads cache, republish. */
  start(): Promise<void> {
    try {
      this.#open();
      return Promise.resolve();
    } catch (error) {
      return Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
  }

  #open(): void {
    const store = LedgerStore.open(this.#init.dbPath, this.#init.params.networkId, this.#hasher);
    try {
      const { view, unpublished, headsConsistent } = replayLedger(
        store,
        this.#init.params,
        this.#verify,
        this.#hasher,
      );
      const journal = new PaymentJournal(store.database);
      const held = new HeldAheadReservations(journal.heldAhead());
      for (const closed of held.closed(view.chain(this.account))) {
        held.unhold(fromHex(closed));
        journal.forgetHeldAhead(fromHex(closed));
      }
      this.#state = { store, view, headsConsistent, journal, held };
      this.#publish(unpublished);
    } catch (error) {
      store.close();
      throw error;
    }
  }

  stop(): Promise<void> {
    this.#deferred.stopTimer();
    // Deferred rows still waiting are written now: a stop is no crash (kicked: lazy rows wait for no timer).
    if (this.#state && this.#deferred.size > 0) {
      this.#commits.kick();
      this.#commits.flush();
    }
    this.#commits.close(new LedgerNotStartedError('the ledger service stopped'));
    this.#deferred.close(new LedgerNotStartedError('the ledger service stopped'));
    this.#state?.store.close();
    this.#state = null;
    return Promise.resolve();
  }

  get view(): LedgerView {
    return this.#started().view;
  }

  /** What paid requests remember across a restart (own acks, pending judgements). */
  get journal(): PaymentJournal {
    return this.#started().journal;
  }

  get account(): Uint8Array {
    return this.#components.signer.publicKey;
  }

  /** False when the heads cache found at start differed from the heads recomputed from blocks (it is then rewritten). */
  get headsConsistentAtStart(): boolean {
    return this.#started().headsConsistent;
  }

  /**
   * Append an own block now: build from the validated state, sign, check, insert and commit (with whatever
   * `append` has queued, first), and only then apply and publish. The store, not memory, says which seq
   * comes next.
   */
  appendOwn(build: OwnBlockBuilder): Block {
    this.#started();
    return this.#commits.appendNow(build);
  }

  /**
   * Append an own block through the group commit: appends asked for in the same turn of the event loop
   * (concurrent requests) share one transaction and one fsync. Resolves once the block is committed and
   * published; rejects with what the builder or the rules threw.
   */
  append(build: OwnBlockBuilder): Promise<Block> {
    if (!this.#state) return Promise.reject(new LedgerNotStartedError('ledger service used before start()'));
    return this.#commits.append(build);
  }

  #commitBatch(batch: readonly QueuedAppend[]): void {
    const state = this.#state;
    if (!state) {
      for (const entry of batch)
        entry.done({ error: new LedgerNotStartedError('ledger service used before start()') });
      return;
    }
    const deferred = this.#deferred.take();
    if (batch.length === 0) {
      // A kick: only deferred writes wait.
      if (deferred.size === 0) return;
      try {
        state.store.transaction(() => deferred.run(state));
      } catch (error) {
        deferred.failed(asError(error));
        return;
      }
      deferred.committed();
      return;
    }
    const hook = this.#init.testHook ?? (() => undefined);
    let outcome: OwnBatchOutcome;
    try {
      outcome = writeOwnBatch(batch, {
        store: state.store,
        view: state.view,
        account: this.account,
        now: this.#now(),
        sign: (body) => createBlock(body, (m) => this.#components.signer.sign(m), this.#hasher),
        hook,
        before: () => deferred.run(state),
      });
    } catch (failure) {
      // Nothing of the batch is durable and nothing was published; memory may hold blocks the store lacks.
      if (failure instanceof OwnBatchFailedError) {
        deferred.failed(asError(failure.cause));
        if (failure.appliedInMemory) this.#reload();
        for (const entry of batch) entry.done({ error: asError(failure.cause) });
        return;
      }
      throw failure;
    }
    deferred.committed();
    hook('committed');
    this.#publish(outcome.committed.map((c) => c.block));
    hook('published');
    for (const { entry, block } of outcome.committed) entry.done({ block });
    for (const { entry, error } of outcome.refused) entry.done({ error });
    if (outcome.applied.length > 0) this.safeDispatchEvent('ledger:changed', { detail: outcome.applied });
  }

  /** Memory and store disagree after a failed commit: rebuild the view from the store (the truth). */
  #reload(): void {
    const state = this.#state;
    this.#state = null;
    state?.store.close();
    this.#open();
  }

  /** The OPEN of this node's account: genesis allocation, or the debt of a matching indebted account. */
  ensureOpen(): Block | null {
    const { view } = this.#started();
    if (view.chain(this.account)) return null;
    return this.appendOwn(() =>
      openingBody(this.#init.params, view, this.account, this.#components.fingerprint, this.#now()),
    );
  }

  /** Validate blocks from peers; valid ones (and any they unlock) are stored in one transaction. */
  receive(blocks: readonly Block[]): BlockVerdict[] {
    const { view } = this.#started();
    const now = this.#now();
    const results = blocks.map((block) => view.receive(block, now));
    storeReceived(this.#receiving(), results, now);
    return results.map((result) => result.verdict);
  }

  /**
   * receive() for a peer's blocks this node acts on at once (a RESERVE or SETTLE on an infer stream, issue 17):
   * checked and applied in memory now, stored with the next group commit (received-blocks.ts says why nothing
   * that matters is lost). Blocks that reveal a fork or a fraud proof are stored at once, as by receive().
   */
  receiveDeferred(blocks: readonly Block[]): BlockVerdict[] {
    this.#started();
    return receiveDeferred(this.#receiving(), blocks, this.#now(), (rest) => this.receive(rest));
  }

  #receiving(): ReceiveContext {
    const state = this.#started();
    return {
      state,
      takeDeferred: () => this.#deferred.take(),
      defer: (write) => this.#defer(write),
      hook: this.#init.testHook ?? (() => undefined),
      changed: (applied) => this.safeDispatchEvent('ledger:changed', { detail: applied }),
      proven: (proofs) => {
        if (proofs.length > 0) this.#reputation.changed();
        for (const proof of proofs) this.safeDispatchEvent('fraud:proof', { detail: proof });
      },
    };
  }

  /**
   * Write journal rows with the next group commit, without waiting (worker evidence, forgotten acks): the
   * caller says why losing them in a crash is harmless.
   */
  deferJournal(write: (journal: PaymentJournal) => void): void {
    this.#started();
    this.#defer(({ journal }) => write(journal));
  }

  /** Write journal rows with the next group commit; resolves once they are durable (rejects if not). */
  journalDurably(write: (journal: PaymentJournal) => void): Promise<void> {
    if (!this.#state) return Promise.reject(new LedgerNotStartedError('ledger service used before start()'));
    return new Promise<void>((resolve, reject) =>
      this.#defer(
        ({ journal }) => write(journal),
        (error) => (error ? reject(error) : resolve()),
      ),
    );
  }

  #defer(write: (target: DeferredTarget) => void, done?: (error: Error | null) => void): void {
    this.#deferred.add(write, done);
  }

  /** A fraud proof from a peer: 'new' ones are stored, revoke their offender, and are passed on. */
  receiveFraudProof(proof: FraudProof): 'new' | 'known' | 'invalid' {
    const { store, view } = this.#started();
    const outcome = view.addFraudProof(proof);
    if (outcome === 'new') {
      this.#reputation.changed();
      store.insertProof(proof, Number(this.#now()));
      this.safeDispatchEvent('fraud:proof', { detail: proof });
    }
    return outcome;
  }

  /** CREDIT every validated output that pays this account and is still unclaimed. */
  claimCredits(): Block[] {
    const { view } = this.#started();
    this.ensureOpen();
    // Queued appends first: a CREDIT queued for the group commit is not claimed twice.
    this.#commits.flush();
    const out: Block[] = [];
    for (const claim of view.unclaimedFor(this.account)) {
      out.push(this.appendOwn((state) => buildCredit(this.#init.params, state!, this.#now(), claim)));
    }
    return out;
  }

  /**
   * claimCredits through the group commit: the CREDITs of settlements arriving together share one commit.
   * An output two calls both queued is credited once (the rules refuse the second).
   */
  async claimCreditsQueued(): Promise<Block[]> {
    const { view } = this.#started();
    this.ensureOpen();
    const claims = view.unclaimedFor(this.account);
    const outcomes = await Promise.allSettled(
      claims.map((claim) =>
        this.append((state) => buildCredit(this.#init.params, state!, this.#now(), claim)),
      ),
    );
    return outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
  }

  /** Throw a user-facing error unless a request locking `maxCost` may start now. */
  assertCanRequest(maxCost: bigint): void {
    const { view } = this.#started();
    assertCanRequest(this.#init.params, view, this.account, maxCost, this.heldAhead());
  }

  /** Record how a request with a counterparty ended (local reputation). */
  recordOutcome(counterparty: Uint8Array, outcome: RequestOutcome): void {
    this.#started();
    // With the next group commit, not an fsync of its own per request; reputation() counts it meanwhile. A
    // crash may forget the outcomes of the last turn: this node's own opinion of a peer, never money or
    // evidence (fraud is judged from signed blocks and acks, not from these counts).
    this.#reputation.record(counterparty, outcome, (write, done) =>
      this.#defer(({ store }) => write(store), done),
    );
  }

  /** Changes whenever reputation() may answer differently (an outcome recorded, a fraud proof added). */
  get reputationVersion(): number {
    return this.#reputation.version;
  }

  /** Local reputation of every counterparty this node has dealt with. */
  reputation(): Map<string, ScoredRecord> {
    const { store, view } = this.#started();
    return this.#reputation.table(store, view);
  }

  summary(): AccountSummary {
    const { view } = this.#started();
    return summaryOf(view, this.account, this.heldAhead());
  }

  /**
   * Mark an own reservation as held ahead of its request (call before its RESERVE is appended: the mark is
   * written in the same group commit, and no balance computed meanwhile shows its tokens as gone).
   */
  holdAhead(requestId: Uint8Array): void {
    this.#started().held.hold(requestId);
    this.#defer(({ journal }) => journal.holdAhead(requestId));
  }

  /** A reservation held ahead was used by its request or settled at zero (a stopped ledger: nothing to do). */
  unholdAhead(requestId: Uint8Array): void {
    if (!this.#state) return;
    this.#state.held.unhold(requestId);
    this.#defer(({ journal }) => journal.forgetHeldAhead(requestId));
  }

  /** µT of own open reservations held ahead: still the user's (held-ahead.ts). */
  heldAhead(): bigint {
    const { view, held } = this.#started();
    return held.amount(view.chain(this.account));
  }

  /** Any account as this node's view has it (after sync, every node shows the same numbers). */
  summaryOf(account: Uint8Array): AccountSummary {
    return summaryOf(this.#started().view, account);
  }

  /** The newest `limit` blocks of this node's chain, newest first. */
  history(limit = 50): HistoryEntry[] {
    return historyOf(this.#started().view, this.account, limit);
  }

  /** Hand committed own blocks to the network (only ever after their COMMIT returned). */
  #publish(blocks: readonly Block[]): void {
    if (blocks.length === 0) return;
    for (const block of blocks) this.safeDispatchEvent('block:publish', { detail: block });
    this.#started().store.markPublished(blocks.map((b) => b.id));
  }

  #started() {
    if (!this.#state) throw new LedgerNotStartedError('ledger service used before start()');
    return this.#state;
  }
}
