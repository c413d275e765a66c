// A node's validated view of the ledger: every chain it follows, the SETTLE outputs and who claimed them,
// blocks waiting for a predecessor or link, fork proofs and revocations. Pure and synchronous: the node's
// SQLite store persists what this view accepts, the sync code feeds it, and the property tests run many
// of them over a simulated network.
//
// Forks: the first valid branch a node sees is its canonical one; a second body at a known (account, seq)
// is kept only as fraud evidence and never counted. So each node's view conserves tokens on its own
// (Σ balances + unclaimed outputs + unopened genesis = G) whatever the arrival order; views of a revoked
// forker may differ between nodes (set semantics over both branches waits for the witness phase).
import { BlockKind, type Block, type Output } from './block.ts';
import { checkBlockAlone } from './block-rules.ts';
import { bytesEqual, toHex } from './bytes.ts';
import { applyNext, checkNext, headSeq, type ChainContext, type ChainState } from './chain-state.ts';
import type { SignatureVerifier } from './ed25519-strict.ts';
import { forkProof, offenderOf, verifyFraudProof, type FraudProof } from './fraud-proof.ts';
import { nobleSha256, type Hasher } from './hash.ts';
import { genesisTotal, type LedgerParams } from './ledger-params.ts';
import { decodeMachineBinding, sameMachineBinding } from './machine-binding.ts';
import type { BlockVerdict, MissingBlock } from './validation-result.ts';

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
}

interface StoredOutput {
  readonly payer: Uint8Array;
  readonly requestId: Uint8Array;
  readonly output: Output;
  claimedBy: string | null;
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

export class LedgerView {
  readonly params: LedgerParams;
  readonly #verify: SignatureVerifier;
  readonly #hasher: Hasher;
  readonly #maxPending: number;
  readonly #chains = new Map<string, ChainState>();
  readonly #blocks = new Map<string, Block>();
  readonly #outputs = new Map<string, StoredOutput>();
  readonly #genesis = new Map<string, bigint>();
  readonly #inheritedBy = new Map<string, { successor: string; amount: bigint }>();
  readonly #fingerprintIndex = new Map<string, Set<string>>();
  readonly #pending = new Map<string, { block: Block; missing: MissingBlock }>();
  readonly #waiting = new Map<string, Set<string>>();
  readonly #proofs = new Map<string, FraudProof>();
  readonly #forkBlocks = new Map<string, Block>();
  #unclaimed = 0n;
  readonly #context: ChainContext;

  constructor(init: LedgerViewInit) {
    this.params = init.params;
    this.#verify = init.verify;
    this.#hasher = init.hasher ?? nobleSha256;
    this.#maxPending = init.maxPending ?? DEFAULT_MAX_PENDING;
    for (const entry of init.params.genesis) this.#genesis.set(toHex(entry.account), entry.amount);
    this.#context = {
      params: this.params,
      genesisOf: (account) => this.#genesis.get(toHex(account)) ?? 0n,
      outputOf: (settleId, index) => {
        const block = this.#blocks.get(toHex(settleId));
        if (!block) return { status: 'missing' };
        if (block.body.kind !== BlockKind.SETTLE) return { status: 'not-a-settle' };
        const stored = this.#outputs.get(`${toHex(settleId)}:${index}`);
        if (!stored) return { status: 'not-a-settle' };
        return {
          status: 'found',
          payer: stored.payer,
          requestId: stored.requestId,
          output: stored.output,
          claimed: stored.claimedBy !== null,
        };
      },
      balanceAt: (account, seq, id) => {
        const chain = this.#chains.get(toHex(account));
        if (!chain || seq < 1n || seq > BigInt(chain.ids.length)) return null;
        if (!bytesEqual(chain.ids[Number(seq) - 1]!, id)) return null;
        return this.#blocks.get(toHex(id))?.body.balanceAfter ?? null;
      },
      isInherited: (predecessor) => this.#inheritedBy.has(toHex(predecessor)),
    };
  }

  /** Validate a block and, if valid, add it (and whatever was waiting for it). Never throws on bad input. */
  receive(block: Block, nowMs: bigint, options: ReceiveOptions = {}): ReceiveResult {
    const verdict = this.#judge(block, nowMs, options);
    if (verdict.status === 'fork') {
      // One proof per offender is enough; more conflicting bodies would only cost memory.
      if (this.isRevoked(block.body.account)) return { verdict, applied: [], proof: null };
      const existing = this.blockAt(block.body.account, block.body.seq)!;
      const proof = forkProof(existing, block);
      this.#forkBlocks.set(toHex(block.id), block);
      this.#recordProof(proof);
      return { verdict, applied: [], proof };
    }
    if (verdict.status === 'partial') {
      this.#park(block, verdict.missing);
      return { verdict, applied: [], proof: null };
    }
    if (verdict.status !== 'valid') return { verdict, applied: [], proof: null };
    const applied: Block[] = [];
    this.#apply(block);
    applied.push(block);
    this.#unlockWaiting(block.id, nowMs, applied);
    return { verdict, applied, proof: null };
  }

  /** What receive would say, without changing anything (used before signing an own block). */
  check(block: Block, nowMs: bigint, options: ReceiveOptions = {}): BlockVerdict {
    return this.#judge(block, nowMs, options);
  }

  #judge(block: Block, nowMs: bigint, options: ReceiveOptions): BlockVerdict {
    const idHex = toHex(block.id);
    if (this.#blocks.has(idHex) || this.#forkBlocks.has(idHex)) return { status: 'duplicate' };
    const verify: SignatureVerifier = options.trusted ? () => true : this.#verify;
    const reason = checkBlockAlone(block, this.params, verify, nowMs);
    if (reason !== null) return { status: 'invalid', reason };
    const state = this.#chains.get(toHex(block.body.account));
    if (block.body.seq <= headSeq(state))
      return { status: 'fork', reason: 'a second body at a known (account, seq)' };
    return checkNext(state, block, this.#context);
  }

  #apply(block: Block): void {
    const b = block.body;
    const accountHex = toHex(b.account);
    const before = this.#chains.get(accountHex);
    const after = applyNext(before, block);
    if (!before) {
      this.#chains.set(accountHex, after);
      for (const hash of after.fingerprint) {
        const key = toHex(hash);
        const set = this.#fingerprintIndex.get(key) ?? new Set<string>();
        set.add(accountHex);
        this.#fingerprintIndex.set(key, set);
      }
      const inherits = decodeMachineBinding(b.extra)?.inherits;
      if (inherits && b.amount < 0n)
        this.#inheritedBy.set(toHex(inherits.predecessor), { successor: accountHex, amount: b.amount });
    }
    this.#blocks.set(toHex(block.id), block);
    const idHex = toHex(block.id);
    if (b.kind === BlockKind.SETTLE) {
      b.outputs.forEach((output, index) => {
        this.#outputs.set(`${idHex}:${index}`, {
          payer: b.account,
          requestId: b.requestId,
          output,
          claimedBy: null,
        });
        this.#unclaimed += output.amount;
      });
    } else if (b.kind === BlockKind.CREDIT) {
      const stored = this.#outputs.get(`${toHex(b.linkId)}:${b.linkIndex}`)!;
      stored.claimedBy = accountHex;
      this.#unclaimed -= stored.output.amount;
    }
  }

  #park(block: Block, missing: MissingBlock): void {
    const idHex = toHex(block.id);
    if (this.#pending.has(idHex)) return;
    while (this.#pending.size >= this.#maxPending) {
      const oldest = this.#pending.keys().next().value;
      if (oldest === undefined) break;
      this.#unpark(oldest);
    }
    this.#pending.set(idHex, { block, missing });
    const key = toHex(missing.id);
    const set = this.#waiting.get(key) ?? new Set<string>();
    set.add(idHex);
    this.#waiting.set(key, set);
  }

  #unpark(idHex: string): Block | undefined {
    const entry = this.#pending.get(idHex);
    if (!entry) return undefined;
    this.#pending.delete(idHex);
    const key = toHex(entry.missing.id);
    const set = this.#waiting.get(key);
    set?.delete(idHex);
    if (set && set.size === 0) this.#waiting.delete(key);
    return entry.block;
  }

  #unlockWaiting(id: Uint8Array, nowMs: bigint, applied: Block[]): void {
    const queue: string[] = [toHex(id)];
    while (queue.length > 0) {
      const key = queue.shift()!;
      const waiters = this.#waiting.get(key);
      if (!waiters) continue;
      for (const waiterHex of [...waiters]) {
        const block = this.#unpark(waiterHex);
        if (!block) continue;
        // Waiting blocks had their signature checked when they arrived (partial comes after the alone checks).
        const verdict = this.#judge(block, nowMs, { trusted: true });
        if (verdict.status === 'valid') {
          this.#apply(block);
          applied.push(block);
          queue.push(waiterHex);
        } else if (verdict.status === 'partial') {
          this.#park(block, verdict.missing);
        } else if (verdict.status === 'fork') {
          const existing = this.blockAt(block.body.account, block.body.seq)!;
          this.#forkBlocks.set(toHex(block.id), block);
          this.#recordProof(forkProof(existing, block));
        }
      }
    }
  }

  #recordProof(proof: FraudProof): boolean {
    const key = toHex(offenderOf(proof));
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

  isRevoked(account: Uint8Array): boolean {
    return this.#proofs.has(toHex(account));
  }

  chain(account: Uint8Array): ChainState | undefined {
    return this.#chains.get(toHex(account));
  }

  /** Accounts with at least an OPEN in this view. */
  accounts(): Uint8Array[] {
    return [...this.#chains.values()].map((c) => c.account);
  }

  block(id: Uint8Array): Block | undefined {
    return this.#blocks.get(toHex(id));
  }

  blockAt(account: Uint8Array, seq: bigint): Block | undefined {
    const chain = this.#chains.get(toHex(account));
    if (!chain || seq < 1n || seq > BigInt(chain.ids.length)) return undefined;
    return this.#blocks.get(toHex(chain.ids[Number(seq) - 1]!));
  }

  head(account: Uint8Array): ChainHead | null {
    const chain = this.#chains.get(toHex(account));
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
    const chain = this.#chains.get(toHex(account));
    if (!chain) return [];
    const out: Block[] = [];
    const last = toSeq < BigInt(chain.ids.length) ? toSeq : BigInt(chain.ids.length);
    for (let seq = fromSeq < 1n ? 1n : fromSeq; seq <= last && out.length < limit; seq++) {
      out.push(this.#blocks.get(toHex(chain.ids[Number(seq) - 1]!))!);
    }
    return out;
  }

  /** What waiting blocks need, one entry per missing id (for sync to pull). */
  missing(): MissingBlock[] {
    const seen = new Map<string, MissingBlock>();
    for (const { missing } of this.#pending.values()) seen.set(toHex(missing.id), missing);
    return [...seen.values()];
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  /** The balance this view counts for an account: its chain's, minus debt a successor took over. */
  balanceOf(account: Uint8Array): bigint {
    const hex = toHex(account);
    const chain = this.#chains.get(hex);
    if (!chain) return 0n;
    return chain.balance - (this.#inheritedBy.get(hex)?.amount ?? 0n);
  }

  /** Why this node refuses to serve or pay an account, or null when it may. */
  serviceRefusal(account: Uint8Array): string | null {
    if (this.isRevoked(account)) return 'the account is revoked by a fraud proof';
    const hex = toHex(account);
    const chain = this.#chains.get(hex);
    if (!chain) return 'the account has no OPEN block in this view';
    const candidates = new Set<string>();
    for (const hash of chain.fingerprint)
      for (const other of this.#fingerprintIndex.get(toHex(hash)) ?? []) candidates.add(other);
    candidates.delete(hex);
    for (const otherHex of candidates) {
      const other = this.#chains.get(otherHex)!;
      if (!sameMachineBinding(chain.fingerprint, other.fingerprint, this.params.fingerprintMatchMin))
        continue;
      if (this.#proofs.has(otherHex)) return 'this machine belonged to a revoked account';
      if (this.balanceOf(other.account) < 0n)
        return 'this machine owes the debt of an earlier account; open with it as predecessor';
    }
    return null;
  }

  /** Indebted or revoked accounts whose fingerprint matches: what a new OPEN on this machine must inherit. */
  matchingAccounts(
    fingerprint: readonly Uint8Array[],
  ): { account: Uint8Array; balance: bigint; revoked: boolean }[] {
    const candidates = new Set<string>();
    for (const hash of fingerprint)
      for (const other of this.#fingerprintIndex.get(toHex(hash)) ?? []) candidates.add(other);
    const out: { account: Uint8Array; balance: bigint; revoked: boolean }[] = [];
    for (const hex of candidates) {
      const chain = this.#chains.get(hex)!;
      if (!sameMachineBinding(fingerprint, chain.fingerprint, this.params.fingerprintMatchMin)) continue;
      out.push({
        account: chain.account,
        balance: this.balanceOf(chain.account),
        revoked: this.#proofs.has(hex),
      });
    }
    return out;
  }

  /** The terms of the conservation invariant; balances + unclaimedOutputs + unopenedGenesis equals genesis. */
  conservation(): Conservation {
    let balances = 0n;
    let unopenedGenesis = 0n;
    for (const chain of this.#chains.values()) balances += this.balanceOf(chain.account);
    for (const [hex, amount] of this.#genesis) if (!this.#chains.has(hex)) unopenedGenesis += amount;
    return {
      balances,
      unclaimedOutputs: this.#unclaimed,
      unopenedGenesis,
      genesis: genesisTotal(this.params),
    };
  }

  /** Unclaimed SETTLE outputs paying `payee` (what its CREDITs may claim). */
  unclaimedFor(
    payee: Uint8Array,
  ): { settleId: Uint8Array; index: number; payer: Uint8Array; requestId: Uint8Array; amount: bigint }[] {
    const out = [];
    for (const [key, stored] of this.#outputs) {
      if (stored.claimedBy !== null || !bytesEqual(stored.output.payee, payee)) continue;
      const [idHex, index] = key.split(':') as [string, string];
      out.push({
        settleId: this.#blocks.get(idHex)!.id,
        index: Number(index),
        payer: stored.payer,
        requestId: stored.requestId,
        amount: stored.output.amount,
      });
    }
    return out;
  }
}
