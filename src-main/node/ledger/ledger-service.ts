// The ledger service (DESIGN.md §3): the SQLite store, the validated in-memory view, the node's own chain.
// Transport-agnostic: it emits 'block:publish' for every own block once committed and 'fraud:proof' for every
// new proof; the p2p layer gossips them and feeds received blocks back through receive().
import { TypedEventEmitter } from 'main-event';
import type { Block } from '../../../src-shared/ledger/block.ts';
import { buildCredit, buildOpen } from '../../../src-shared/ledger/block-builders.ts';
import { createBlock } from '../../../src-shared/ledger/block-codec.ts';
import { bytesEqual, fromHex, toHex } from '../../../src-shared/ledger/bytes.ts';
import { admission } from '../../../src-shared/ledger/economy.ts';
import type { SignatureVerifier } from '../../../src-shared/ledger/ed25519-strict.ts';
import type { FraudProof } from '../../../src-shared/ledger/fraud-proof.ts';
import type { Hasher } from '../../../src-shared/ledger/hash.ts';
import type { LedgerParams } from '../../../src-shared/ledger/ledger-params.ts';
import { LedgerView, type ReceiveResult } from '../../../src-shared/ledger/ledger-view.ts';
import { reputationScore, type CounterpartyRecord } from '../../../src-shared/ledger/local-reputation.ts';
import { formatTokens } from '../../../src-shared/ledger/token-amount.ts';
import { historyOf, summaryOf, type AccountSummary, type HistoryEntry } from './account-summary.ts';
import type { BlockVerdict } from '../../../src-shared/ledger/validation-result.ts';
import { InsufficientBalanceError, LedgerNotStartedError } from './errors.ts';
import { PaymentJournal } from './payment-journal.ts';
import { LedgerStore } from './ledger-store.ts';
import { headsOf, sameHeads } from './heads-cache.ts';
import type { LedgerSigner } from './ledger-signer.ts';
import { asError, OwnCommitQueue, type OwnBlockBuilder, type QueuedAppend } from './own-commit-queue.ts';
import { OwnBatchFailedError, writeOwnBatch, type OwnBatchOutcome } from './own-batch-write.ts';
import { createNativeVerifier, nativeSha256 } from './native-crypto.ts';
import { rememberingVerifier } from '../../../src-shared/ledger/verified-signatures.ts';
import { DeferredWrites, type DeferredTarget } from './deferred-writes.ts';
import { HeldAheadReservations } from './held-ahead.ts';

/**
 * How long deferred rows nobody waits for (evidence, outcomes, peers' blocks applied in memory) may wait for
 * a commit: what a crash can lose of them, each harmless where it is deferred.
 */
const LAZY_WRITE_DELAY_MS = 20;

export interface LedgerComponents {
  readonly signer: LedgerSigner;
  /** Salted hashes of this machine's hardware ids (identity's fingerprint), 32 bytes each. */
  readonly fingerprint: readonly Uint8Array[];
}

/** Points inside an own append or a receive where the crash test kills the process. */
export type LedgerHookPoint =
  'built' | 'signed' | 'inserted' | 'committed' | 'published' | 'receive-applied' | 'receive-inserted';

export interface LedgerInit {
  readonly params: LedgerParams;
  /** The SQLite file (locations.ledgerDb). */
  readonly dbPath: string;
  readonly now?: () => bigint;
  readonly verify?: SignatureVerifier;
  readonly hasher?: Hasher;
  /** Called at each point of an own append or receive (crash tests only). */
  readonly testHook?: (point: LedgerHookPoint) => void;
}

export interface LedgerEvents {
  /** An own block is committed: gossip it. */
  'block:publish': CustomEvent<Block>;
  /** A new fraud proof: gossip it on the fraud topic. */
  'fraud:proof': CustomEvent<FraudProof>;
  /** Blocks became valid in this node's view. */
  'ledger:changed': CustomEvent<readonly Block[]>;
}

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
  #reputationVersion = 0;
  readonly #commits = new OwnCommitQueue({ commitBatch: (batch) => this.#commitBatch(batch) });
  readonly #deferred = new DeferredWrites();
  /** The timer that commits deferred rows nobody waits for (see #defer). */
  #lazyFlush: ReturnType<typeof setTimeout> | null = null;
  /** Outcomes recorded and not yet committed (recordOutcome). */
  readonly #pendingOutcomes = new Set<{
    readonly account: Uint8Array;
    readonly outcome: { settled: bigint } | 'failed';
  }>();

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
      const view = new LedgerView({ params: this.#init.params, verify: this.#verify, hasher: this.#hasher });
      const unpublished: Block[] = [];
      for (const stored of store.storedBlocks()) {
        // Stored blocks were verified before they were written; replay checks every rule but the signature.
        // Fork blocks replay as forks again (their branches followed as before).
        view.receive(stored.block, 2n ** 62n, { trusted: true });
        if (stored.own && !stored.published) unpublished.push(stored.block);
      }
      for (const proof of store.fraudProofs()) view.addFraudProof(proof);
      const recomputed = headsOf(view, view.accounts());
      const cached = store.cachedHeads();
      const headsConsistent = sameHeads(recomputed, cached);
      if (!headsConsistent) store.replaceHeads(recomputed);
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
    if (this.#lazyFlush !== null) clearTimeout(this.#lazyFlush);
    this.#lazyFlush = null;
    // Deferred rows still waiting are written now: a stop is no crash.
    if (this.#state && this.#deferred.size > 0) this.#commits.flush();
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
    const params = this.#init.params;
    const genesis = params.genesis.find((g) => bytesEqual(g.account, this.account))?.amount ?? 0n;
    let inherits = null;
    let amount = genesis;
    if (genesis === 0n) {
      const debts = view
        .matchingAccounts(this.#components.fingerprint)
        .filter((m) => m.balance < 0n && !bytesEqual(m.account, this.account))
        .sort((a, b) => (a.balance < b.balance ? -1 : 1));
      const worst = debts[0];
      const head = worst ? view.head(worst.account) : null;
      if (worst && head) {
        inherits = { predecessor: worst.account, seq: head.seq, head: head.id };
        amount = view.blockAt(worst.account, head.seq)!.body.balanceAfter;
      }
    }
    return this.appendOwn(() =>
      buildOpen(
        params,
        this.account,
        this.#now(),
        { fingerprint: this.#components.fingerprint, inherits },
        amount,
      ),
    );
  }

  /** Validate blocks from peers; valid ones (and any they unlock) are stored in one transaction. */
  receive(blocks: readonly Block[]): BlockVerdict[] {
    const { view } = this.#started();
    const now = this.#now();
    const results = blocks.map((block) => view.receive(block, now));
    this.#storeReceived(results, now);
    return results.map((result) => result.verdict);
  }

  /** Store what receiving blocks applied (and any fork evidence and proofs) in one transaction, then tell. */
  #storeReceived(results: readonly ReceiveResult[], now: bigint): void {
    const state = this.#started();
    const { store, view } = state;
    const applied: Block[] = [];
    const proofs: FraudProof[] = [];
    const forks: Block[] = [];
    for (const result of results) {
      applied.push(...result.applied);
      forks.push(...result.evidence);
      if (result.proof) proofs.push(result.proof);
    }
    const hook = this.#init.testHook ?? (() => undefined);
    hook('receive-applied');
    if (applied.length > 0 || forks.length > 0) {
      // Deferred rows first: a peer's block received here never lands in the store before one it follows.
      const deferred = this.#deferred.take();
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
    if (proofs.length > 0) this.#reputationVersion++;
    for (const proof of proofs) this.safeDispatchEvent('fraud:proof', { detail: proof });
    if (applied.length > 0) this.safeDispatchEvent('ledger:changed', { detail: applied });
  }

  /**
   * receive() for a peer's blocks this node acts on at once (a RESERVE or SETTLE on an infer stream, issue 17):
   * they are checked and applied in memory now, and stored with the next group commit instead of in a
   * transaction and fsync of their own on the request path. Nothing is lost that matters: a peer's block is
   * never this node's promise; its author keeps it durable and gossips it, so after a crash sync brings it
   * back, and an own block that depends on it (the CREDIT of a SETTLE) commits in the same transaction or a
   * later one. Blocks that reveal a fork or a fraud proof are stored at once, as by receive().
   */
  receiveDeferred(blocks: readonly Block[]): BlockVerdict[] {
    const { view } = this.#started();
    const now = this.#now();
    const verdicts: BlockVerdict[] = [];
    const applied: Block[] = [];
    for (const [i, block] of blocks.entries()) {
      const result = view.receive(block, now);
      if (result.evidence.length > 0 || result.proof) {
        // Rare and not on a fast path: the ordinary receive stores what this one applied so far, then the rest.
        if (applied.length > 0) {
          this.#deferInsert(applied, now);
          this.safeDispatchEvent('ledger:changed', { detail: applied });
        }
        this.#storeReceived([result], now);
        return [...verdicts, result.verdict, ...this.receive(blocks.slice(i + 1))];
      }
      verdicts.push(result.verdict);
      applied.push(...result.applied);
    }
    if (applied.length > 0) {
      this.#deferInsert(applied, now);
      this.safeDispatchEvent('ledger:changed', { detail: applied });
    }
    return verdicts;
  }

  #deferInsert(applied: readonly Block[], now: bigint): void {
    this.#defer(({ store, view }) =>
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
    // A caller waiting for durability gets the next turn's commit. Rows nobody waits for wait a little longer
    // (or ride with any commit before): their fsync then falls after a request's first token, not between the
    // RESERVE's check and it, and more of them share it.
    if (done) this.#commits.kick();
    else if (this.#lazyFlush === null) {
      this.#lazyFlush = setTimeout(() => {
        this.#lazyFlush = null;
        if (this.#deferred.size > 0) this.#commits.kick();
      }, LAZY_WRITE_DELAY_MS);
      this.#lazyFlush.unref();
    }
  }

  /** A fraud proof from a peer: 'new' ones are stored, revoke their offender, and are passed on. */
  receiveFraudProof(proof: FraudProof): 'new' | 'known' | 'invalid' {
    const { store, view } = this.#started();
    const outcome = view.addFraudProof(proof);
    if (outcome === 'new') {
      this.#reputationVersion++;
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
    const refusal = view.serviceRefusal(this.account);
    const chain = view.chain(this.account);
    if (!chain)
      throw new InsufficientBalanceError(
        `no tokens yet: a request needs ${formatTokens(this.#init.params.minAvailable)} tokens available; contribute compute to earn them`,
      );
    if (refusal) throw new InsufficientBalanceError(`requests refused: ${refusal}`);
    const reason = admission(this.#init.params, chain.balance, chain.reserved, maxCost);
    const available = formatTokens(chain.balance - chain.reserved);
    if (reason === 'below-minimum')
      throw new InsufficientBalanceError(
        `balance below ${formatTokens(this.#init.params.minAvailable)} tokens: ${available} available; contribute compute to earn more`,
      );
    if (reason === 'below-floor')
      throw new InsufficientBalanceError(
        `this request could cost more than your ${available} available tokens allow`,
      );
    if (reason === 'above-maximum')
      throw new InsufficientBalanceError(
        `this request could cost more than the network's per-request maximum of ${formatTokens(this.#init.params.maxRequestCost)} tokens`,
      );
  }

  /** Record how a request with a counterparty ended (local reputation). */
  recordOutcome(counterparty: Uint8Array, outcome: { settled: bigint } | 'failed'): void {
    this.#started();
    // With the next group commit, not an fsync of its own per request; reputation() counts it meanwhile. A
    // crash may forget the outcomes of the last turn: this node's own opinion of a peer, never money or
    // evidence (fraud is judged from signed blocks and acks, not from these counts).
    const pending = { account: counterparty, outcome };
    this.#pendingOutcomes.add(pending);
    this.#defer(
      ({ store }) => store.recordOutcome(counterparty, outcome),
      () => this.#pendingOutcomes.delete(pending),
    );
    this.#reputationVersion++;
  }

  /** Changes whenever reputation() may answer differently (an outcome recorded, a fraud proof added). */
  get reputationVersion(): number {
    return this.#reputationVersion;
  }

  /** Local reputation of every counterparty this node has dealt with. */
  reputation(): Map<string, CounterpartyRecord & { score: number }> {
    const { store, view } = this.#started();
    const out = new Map<string, CounterpartyRecord & { score: number }>();
    for (const o of store.outcomes()) {
      const record = {
        settledCount: o.settledCount,
        settledAmount: o.settledAmount,
        failedCount: o.failedCount,
        revoked: view.isRevoked(o.account),
      };
      out.set(toHex(o.account), { ...record, score: reputationScore(record) });
    }
    for (const { account, outcome } of this.#pendingOutcomes) {
      const key = toHex(account);
      const before = out.get(key) ?? {
        settledCount: 0,
        settledAmount: 0n,
        failedCount: 0,
        revoked: view.isRevoked(account),
      };
      const record =
        outcome === 'failed'
          ? { ...before, failedCount: before.failedCount + 1 }
          : {
              ...before,
              settledCount: before.settledCount + 1,
              settledAmount: before.settledAmount + outcome.settled,
            };
      out.set(key, { ...record, score: reputationScore(record) });
    }
    for (const proof of view.fraudProofs()) {
      const key = toHex(
        proof.type === 'fork'
          ? proof.a.body.account
          : proof.type === 'underpay'
            ? proof.settle.body.account
            : proof.release.body.account,
      );
      if (!out.has(key))
        out.set(key, { settledCount: 0, settledAmount: 0n, failedCount: 0, revoked: true, score: -1 });
    }
    return out;
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
