// A node's validated view of the ledger: every chain it follows, the SETTLE outputs and who claimed them,
// blocks waiting for a predecessor or link, fork proofs and revocations. Pure and synchronous: the node's
// SQLite store persists what this view accepts, the sync code feeds it, and the property tests run many
// of them over a simulated network.
//
// Forks: the first valid branch a node sees is canonical; a second body at a known (account, seq) is fraud
// evidence, and its branch is followed from the fork point (fork-branches.ts, security finding 12). Each
// view conserves tokens on its own (Σ balances + unclaimed outputs + unopened genesis = G) in any order.
//
// Blocks are indexed by id in an IdMap (numeric keys); the other maps are keyed by mapKey() of the bytes
// (compact strings, not hex): validation looks several up per block.
import { BlockKind, type Block } from './block.ts';
import { BlockFacts } from './block-facts.ts';
import { checkBlockAlone, checkBlockHere } from './block-rules.ts';
import { bytesEqual, mapKey } from './bytes.ts';
import { applyNext, checkNext, isAtOrBelowHead, type ChainContext, type ChainState } from './chain-state.ts';
import type { SignatureVerifier } from './ed25519-strict.ts';
import { FingerprintIndex } from './fingerprint-index.ts';
import { ForkBranches } from './fork-branches.ts';
import { IdMap } from './id-map.ts';
import { forkProof, offenderOf, verifyFraudProof, type FraudProof } from './fraud-proof.ts';
import { nobleSha256, type Hasher } from './hash.ts';
import { genesisTotal, type LedgerParams } from './ledger-params.ts';
import { MachineAccounts } from './machine-accounts.ts';
import { PendingBlocks } from './pending-blocks.ts';
import { SettleOutputIndex, type UnclaimedOutput } from './settle-outputs.ts';
import { AccountKeys } from './account-keys.ts';
import type { BlockVerdict, MissingBlock } from './validation-result.ts';

export type { UnclaimedOutput } from './settle-outputs.ts';

export interface LedgerViewInit {
  readonly params: LedgerParams;
  readonly verify: SignatureVerifier;
  readonly hasher?: Hasher;
  /** Most blocks kept waiting for a missing predecessor or link; the oldest are dropped beyond it. */
  readonly maxPending?: number;
}

export interface ReceiveOptions {
  /** Skip the signature check: only for blocks this node verified before (replay from its own store). */
  readonly trusted?: boolean;
}

export interface ReceiveResult {
  readonly verdict: BlockVerdict;
  /** Blocks that became valid, in order: this one (if valid) and any waiting ones it unlocked. */
  readonly applied: readonly Block[];
  /** A fraud proof this block produced (status 'fork'). */
  readonly proof: FraudProof | null;
  /**
   * Blocks kept off the canonical chains (status 'fork': evidence, or a fork branch followed): the store
   * keeps them so a restart follows the same branches. This one and any waiting ones it unlocked.
   */
  readonly evidence: readonly Block[];
}

/** A head as sync exchanges it. */
export interface ChainHead {
  readonly account: Uint8Array;
  readonly seq: bigint;
  readonly id: Uint8Array;
}

export interface Conservation {
  readonly balances: bigint;
  readonly unclaimedOutputs: bigint;
  readonly unopenedGenesis: bigint;
  readonly genesis: bigint;
}

export const DEFAULT_MAX_PENDING = 10_000;

const DUPLICATE: BlockVerdict = Object.freeze({ status: 'duplicate' });
const NO_OPTIONS: ReceiveOptions = Object.freeze({});
const TRUSTED: ReceiveOptions = Object.freeze({ trusted: true });
const SKIP_SIGNATURE: SignatureVerifier = () => true;

export class LedgerView {
  readonly params: LedgerParams;
  readonly #verify: SignatureVerifier;
  readonly #hasher: Hasher;
  readonly #chains = new Map<string, ChainState>();
  readonly #blocks = new IdMap<Block>((block) => block.id);
  readonly #outputs = new SettleOutputIndex();
  readonly #genesis = new Map<string, bigint>();
  /** Predecessor account → the account that took over its debt, and the amount. */
  readonly #inheritedBy = new Map<string, { successor: string; amount: bigint }>();
  readonly #fingerprints = new FingerprintIndex();
  readonly #pending: PendingBlocks;
  /** Offender account → its proof. */
  readonly #proofs = new Map<string, FraudProof>();
  readonly #forkBlocks = new Map<string, Block>();
  readonly #branches = new ForkBranches(
    (id) => this.#blocks.get(id)!,
    (block) => this.#factsOf(block),
  );
  readonly #context: ChainContext;
  readonly #accountKeys = new AccountKeys();
  readonly #machines = new MachineAccounts({
    chain: (key) => this.#chains.get(key),
    candidates: (fingerprint) => this.#fingerprints.candidates(fingerprint),
    isRevoked: (key) => this.#proofs.has(key),
    hasGenesis: (key) => this.#genesis.has(key),
    balanceOf: (account) => this.balanceOf(account),
    fingerprintMatchMin: () => this.params.fingerprintMatchMin,
  });

  constructor(init: LedgerViewInit) {
    this.params = init.params;
    this.#verify = init.verify;
    this.#hasher = init.hasher ?? nobleSha256;
    this.#pending = new PendingBlocks(init.maxPending ?? DEFAULT_MAX_PENDING);
    for (const entry of init.params.genesis) this.#genesis.set(mapKey(entry.account), entry.amount);
    this.#context = {
      params: this.params,
      genesisOf: (account) => this.#genesis.get(mapKey(account)) ?? 0n,
      outputOf: (settleId, index) => this.#outputs.outputOf(settleId, index, (id) => this.#blocks.has(id)),
      balanceAt: (account, seq, id) => {
        const chain = this.#chains.get(mapKey(account));
        if (!chain || seq < 1n || seq > BigInt(chain.ids.length)) return null;
        if (!bytesEqual(chain.ids[Number(seq) - 1]!, id)) return null;
        return this.#blocks.get(id)?.body.balanceAfter ?? null;
      },
      isInherited: (predecessor) => this.#inheritedBy.has(mapKey(predecessor)),
    };
  }

  #factsOf(block: Block): BlockFacts {
    return new BlockFacts(block, this.#accountKeys.keyOf(block.body.account));
  }

  /** Validate a block and, if valid, add it (and whatever was waiting for it). Never throws on bad input. */
  receive(block: Block, nowMs: bigint, options: ReceiveOptions = NO_OPTIONS): ReceiveResult {
    const facts = this.#factsOf(block);
    const verdict = this.#judge(facts, nowMs, options);
    if (verdict.status === 'fork') {
      const kept = this.#keepFork(facts);
      const applied: Block[] = [];
      const evidence: Block[] = kept.kept ? [block] : [];
      if (this.#pending.size > 0)
        for (const key of kept.branch) this.#unlockWaiting(key, nowMs, applied, evidence);
      return { verdict, applied, proof: kept.proof, evidence };
    }
    if (verdict.status === 'partial') {
      this.#pending.park(facts.idKey, block, verdict.missing);
      return { verdict, applied: [], proof: null, evidence: [] };
    }
    if (verdict.status !== 'valid') return { verdict, applied: [], proof: null, evidence: [] };
    const applied: Block[] = [block];
    const evidence: Block[] = [];
    this.#apply(facts);
    if (this.#pending.size > 0) this.#unlockWaiting(facts.idKey, nowMs, applied, evidence);
    return { verdict, applied, proof: null, evidence };
  }

  /** What receive would say, without changing anything (used before signing an own block). */
  check(block: Block, nowMs: bigint, options: ReceiveOptions = NO_OPTIONS): BlockVerdict {
    return this.#judge(this.#factsOf(block), nowMs, options);
  }

  #judge(facts: BlockFacts, nowMs: bigint, options: ReceiveOptions): BlockVerdict {
    const block = facts.block;
    const state = this.#chains.get(facts.accountKey);
    // A block held already (valid, or as fork evidence) has this body, so this account and seq, and its seq
    // is at or below the head: a block above the head is new, without a lookup in the largest maps.
    const known = isAtOrBelowHead(block.body.seq, state);
    if (known && this.#blocks.has(block.id)) return DUPLICATE;
    if (this.#forkBlocks.size > 0 && this.#forkBlocks.has(facts.idKey)) return DUPLICATE;
    const verify = options.trusted ? SKIP_SIGNATURE : this.#verify;
    const reason = checkBlockAlone(block, this.params, verify, facts);
    if (reason !== null) return { status: 'invalid', reason };
    const here = checkBlockHere(block, this.params, nowMs, facts);
    if (here !== null) return { status: 'invalid', reason: here, disputable: true };
    if (known) return { status: 'fork', reason: 'a second body at a known (account, seq)' };
    if (this.#branches.has(mapKey(block.body.prev)))
      return { status: 'fork', reason: 'a block on a fork branch' };
    return checkNext(state, block, this.#context, facts);
  }

  #apply(facts: BlockFacts): void {
    const block = facts.block;
    const b = block.body;
    const accountKey = facts.accountKey;
    const before = this.#chains.get(accountKey);
    const after = applyNext(before, block, facts);
    if (!before) {
      this.#chains.set(accountKey, after);
      this.#fingerprints.add(accountKey, after.fingerprint);
      const inherits = facts.binding?.inherits;
      if (inherits && b.amount < 0n)
        this.#inheritedBy.set(mapKey(inherits.predecessor), { successor: accountKey, amount: b.amount });
    }
    this.#blocks.set(block);
    if (b.kind === BlockKind.SETTLE) this.#outputs.addSettle(block);
    else if (b.kind === BlockKind.CREDIT) this.#outputs.claim(b.linkId, b.linkIndex, accountKey);
  }

  /**
   * Keep a block off the canonical chain: a second body at a known (account, seq), or a successor on a fork
   * branch. Returns its proof if it is the offender's first, whether it was kept, and whether it extends a
   * followed branch (then what waits for it may follow).
   */
  #keepFork(facts: BlockFacts): { proof: FraudProof | null; kept: boolean; branch: string[] } {
    const block = facts.block;
    const existing = this.blockAt(block.body.account, block.body.seq);
    const proof = existing ? forkProof(existing, block) : null;
    const isNew = proof !== null && this.#recordProof(proof);
    // Beyond the bound only a first proof is kept; more conflicting bodies would only cost memory.
    const forkFrom =
      existing && bytesEqual(existing.body.prev, block.body.prev) ? block.body.seq : block.body.seq - 1n;
    if (!this.#branches.noteFork(facts.accountKey, forkFrom) && !isNew)
      return { proof: null, kept: false, branch: [] };
    this.#forkBlocks.set(facts.idKey, block);
    const extended = this.#branches.extend(facts, this.#context, this.#chains.get(facts.accountKey));
    for (const branchFacts of extended)
      if (branchFacts.block.body.kind === BlockKind.SETTLE) this.#outputs.addSettle(branchFacts.block);
    return { proof: isNew ? proof : null, kept: true, branch: extended.map((f) => f.idKey) };
  }

  #unlockWaiting(idKey: string, nowMs: bigint, applied: Block[], evidence: Block[]): void {
    const queue: string[] = [idKey];
    while (queue.length > 0) {
      const waiters = this.#pending.waitersFor(queue.shift()!);
      if (!waiters) continue;
      for (const waiterKey of waiters) {
        const block = this.#pending.unpark(waiterKey);
        if (!block) continue;
        const facts = this.#factsOf(block);
        // Waiting blocks had their signature checked when they arrived (partial comes after the alone checks).
        const verdict = this.#judge(facts, nowMs, TRUSTED);
        if (verdict.status === 'valid') {
          this.#apply(facts);
          applied.push(block);
          queue.push(waiterKey);
        } else if (verdict.status === 'partial') {
          this.#pending.park(waiterKey, block, verdict.missing);
        } else if (verdict.status === 'fork') {
          const kept = this.#keepFork(facts);
          if (kept.kept) evidence.push(block);
          queue.push(...kept.branch);
        }
      }
    }
  }

  #recordProof(proof: FraudProof): boolean {
    const key = mapKey(offenderOf(proof));
    if (this.#proofs.has(key)) return false;
    this.#proofs.set(key, proof);
    return true;
  }

  /** Verify and keep a fraud proof from a peer: 'new' revokes its offender here. */
  addFraudProof(proof: FraudProof): 'new' | 'known' | 'invalid' {
    if (verifyFraudProof(proof, this.params.networkId, this.#verify, this.#hasher) !== null) return 'invalid';
    return this.#recordProof(proof) ? 'new' : 'known';
  }

  /** Every fraud proof held, one per offender. */
  fraudProofs(): FraudProof[] {
    return [...this.#proofs.values()];
  }

  /** The lowest seq from which `account`'s fork branches may differ from its canonical chain, or null. */
  forkSeq(account: Uint8Array): bigint | null {
    const key = mapKey(account);
    const proof = this.#proofs.get(key);
    return this.#branches.forkFrom(key, proof?.type === 'fork' ? proof.a.body.seq : null);
  }

  isRevoked(account: Uint8Array): boolean {
    return this.#proofs.has(mapKey(account));
  }

  chain(account: Uint8Array): ChainState | undefined {
    return this.#chains.get(mapKey(account));
  }

  /** Accounts with at least an OPEN in this view. */
  accounts(): Uint8Array[] {
    return [...this.#chains.values()].map((c) => c.account);
  }

  block(id: Uint8Array): Block | undefined {
    return this.#blocks.get(id);
  }

  blockAt(account: Uint8Array, seq: bigint): Block | undefined {
    const chain = this.#chains.get(mapKey(account));
    if (!chain || seq < 1n || seq > BigInt(chain.ids.length)) return undefined;
    return this.#blocks.get(chain.ids[Number(seq) - 1]!);
  }

  head(account: Uint8Array): ChainHead | null {
    const chain = this.#chains.get(mapKey(account));
    if (!chain) return null;
    return { account: chain.account, seq: BigInt(chain.ids.length), id: chain.ids[chain.ids.length - 1]! };
  }

  heads(): ChainHead[] {
    return [...this.#chains.values()].map((c) => ({
      account: c.account,
      seq: BigInt(c.ids.length),
      id: c.ids[c.ids.length - 1]!,
    }));
  }

  /** Blocks fromSeq..toSeq (inclusive) of a chain, at most `limit`. */
  range(account: Uint8Array, fromSeq: bigint, toSeq: bigint, limit: number): Block[] {
    const chain = this.#chains.get(mapKey(account));
    if (!chain) return [];
    const out: Block[] = [];
    const last = toSeq < BigInt(chain.ids.length) ? toSeq : BigInt(chain.ids.length);
    for (let seq = fromSeq < 1n ? 1n : fromSeq; seq <= last && out.length < limit; seq++) {
      out.push(this.#blocks.get(chain.ids[Number(seq) - 1]!)!);
    }
    return out;
  }

  /** What waiting blocks need, one entry per missing id (for sync to pull). */
  missing(): MissingBlock[] {
    return this.#pending.missing();
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** The balance this view counts for an account: its chain's, minus debt a successor took over. */
  balanceOf(account: Uint8Array): bigint {
    const key = mapKey(account);
    const chain = this.#chains.get(key);
    if (!chain) return 0n;
    return chain.balance - (this.#inheritedBy.get(key)?.amount ?? 0n) + this.#branches.spentBy(key);
  }

  /**
   * Why this node refuses to serve an account, or null when it may (machine-accounts.ts: debt follows the
   * machine, credit does not).
   */
  serviceRefusal(account: Uint8Array): string | null {
    return this.#machines.serviceRefusal(account);
  }

  /**
   * Indebted or revoked accounts with more than an OPEN whose fingerprint matches: what a new OPEN on this
   * machine must inherit.
   */
  matchingAccounts(
    fingerprint: readonly Uint8Array[],
  ): { account: Uint8Array; balance: bigint; revoked: boolean }[] {
    return this.#machines.matchingAccounts(fingerprint);
  }

  /** The terms of the conservation invariant; balances + unclaimedOutputs + unopenedGenesis equals genesis. */
  conservation(): Conservation {
    let balances = 0n;
    let unopenedGenesis = 0n;
    for (const chain of this.#chains.values()) balances += this.balanceOf(chain.account);
    for (const [key, amount] of this.#genesis) if (!this.#chains.has(key)) unopenedGenesis += amount;
    return {
      balances,
      unclaimedOutputs: this.#outputs.unclaimed,
      unopenedGenesis,
      genesis: genesisTotal(this.params),
    };
  }

  /** Unclaimed SETTLE outputs paying `payee` (what its CREDITs may claim). */
  unclaimedFor(payee: Uint8Array): UnclaimedOutput[] {
    return this.#outputs.unclaimedFor(payee);
  }
}
