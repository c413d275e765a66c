// Ledger sync over any transport (DESIGN.md §5): the gossip validator's verdict mapping and the client side of
// /og/ledger-sync/2.0.0 that catches up from a peer (heads, then ranges, then whatever waiting blocks still
// miss); the server side is sync-answer.ts. Periodic anti-entropy with random peers runs on top of syncWith().
import { decodeBlock } from '../../../src-shared/ledger/block-codec.ts';
import type { Block } from '../../../src-shared/ledger/block.ts';
import { bytesEqual, compareBytes } from '../../../src-shared/ledger/bytes.ts';
import { BlockKind } from '../../../src-shared/ledger/block.ts';
import { decodeFraudProof, offenderOf, type FraudProof } from '../../../src-shared/ledger/fraud-proof.ts';
import type { Hasher } from '../../../src-shared/ledger/hash.ts';
import { nobleSha256 } from '../../../src-shared/ledger/hash.ts';
import type { LedgerView } from '../../../src-shared/ledger/ledger-view.ts';
import type { SenderRateLimit } from './sender-rate-limit.ts';
import {
  gossipOutcome,
  type BlockVerdict,
  type GossipOutcome,
  type MissingBlock,
} from '../../../src-shared/ledger/validation-result.ts';
import {
  decodeSyncResponse,
  encodeSyncRequest,
  MAX_HEADS,
  MAX_PROOFS,
  type SyncRequest,
  type SyncResponse,
  type WireHead,
} from '../../../src-shared/ledger/sync/sync-messages.ts';
import { SyncProtocolError } from './errors.ts';

/** What sync needs from the node: its view, and a way to accept blocks and proofs (persisting them). */
export interface SyncTarget {
  readonly view: LedgerView;
  receive(blocks: readonly Block[]): BlockVerdict[];
  receiveFraudProof(proof: FraudProof): 'new' | 'known' | 'invalid';
}

/** Request/response to one peer. Rejects on timeout, abort or an unreachable peer. */
export interface SyncTransport {
  request(peer: string, request: Uint8Array, options: { signal: AbortSignal }): Promise<Uint8Array>;
}

export interface SyncStats {
  requests: number;
  blocksReceived: number;
  invalidFromPeer: number;
}

/** Pages of heads or proofs one syncWith asks for at most (MAX_HEADS and MAX_PROOFS each). */
export const MAX_SYNC_PAGES = 64;

/**
 * Most blocks pulled (in pages of MAX_RANGE_BLOCKS) before the node validates and commits them in one go:
 * ten pages, at most about 4 MB held.
 */
export const RECEIVE_BATCH_BLOCKS = 1000;

export interface LedgerSyncInit {
  readonly hasher?: Hasher;
  /** Per-request timeout (ms). */
  readonly requestTimeoutMs?: number;
  /** How many rounds one syncWith may take to resolve cross-chain dependencies. */
  readonly maxRounds?: number;
  /**
   * Per-sender limits on gossip that is valid but costs its sender nothing (security finding 10): blocks
   * that open an account with nothing, and fraud proofs against accounts that never did anything but open.
   */
  readonly freeGossipLimit?: SenderRateLimit;
}

/** The client side of ledger sync for one node. */
export class LedgerSync {
  readonly #target: SyncTarget;
  readonly #transport: SyncTransport;
  readonly #hasher: Hasher;
  readonly #timeoutMs: number;
  readonly #maxRounds: number;
  readonly stats: SyncStats = { requests: 0, blocksReceived: 0, invalidFromPeer: 0 };
  readonly #pulling = new Set<string>();
  readonly #freeGossip: SenderRateLimit | null;

  constructor(components: { target: SyncTarget; transport: SyncTransport }, init: LedgerSyncInit = {}) {
    this.#target = components.target;
    this.#transport = components.transport;
    this.#hasher = init.hasher ?? nobleSha256;
    this.#timeoutMs = init.requestTimeoutMs ?? 10_000;
    this.#maxRounds = init.maxRounds ?? 8;
    this.#freeGossip = init.freeGossipLimit ?? null;
  }

  /** Gossip validator: decode strictly, validate, and say accept / reject / ignore. Partial blocks trigger a pull. */
  onGossipBlock(
    bytes: Uint8Array,
    from: string | null,
  ): { outcome: GossipOutcome; pull: Promise<void> | null } {
    const block = decodeBlock(bytes, this.#hasher);
    if (block === null) return { outcome: 'reject', pull: null };
    const b = block.body;
    const freeOpen =
      b.kind === BlockKind.OPEN && b.amount === 0n && this.#target.view.chain(b.account) === undefined;
    if (freeOpen && from !== null && this.#freeGossip && !this.#freeGossip.take(from))
      return { outcome: 'ignore', pull: null };
    const [verdict] = this.#target.receive([block]);
    const outcome = gossipOutcome(verdict!);
    // Pull only what this block misses, and at most one pull per peer at a time: a peer sending many
    // blocks with unknown predecessors must not turn each into a burst of requests.
    let pull: Promise<void> | null = null;
    if (verdict!.status === 'partial' && from !== null && !this.#pulling.has(from)) {
      this.#pulling.add(from);
      const signal = AbortSignal.timeout(this.#timeoutMs * 4);
      // Then whatever else waits (blocks that arrived while this pull ran were not pulled for).
      pull = this.#pullOne(from, verdict!.missing, signal)
        .then(() => this.pullMissing(from, { signal }))
        .catch(() => undefined)
        .finally(() => this.#pulling.delete(from));
    }
    return { outcome, pull };
  }

  /** A fraud proof from the fraud topic (`from` relayed it): reject what does not verify. */
  onGossipFraudProof(bytes: Uint8Array, from: string | null = null): GossipOutcome {
    const proof = decodeFraudProof(bytes, this.#hasher);
    if (proof === null) return 'reject';
    const offender = offenderOf(proof);
    const junk =
      !this.#target.view.isRevoked(offender) && (this.#target.view.chain(offender)?.ids.length ?? 0) <= 1;
    if (junk && from !== null && this.#freeGossip && !this.#freeGossip.take(from)) return 'ignore';
    const result = this.#target.receiveFraudProof(proof);
    return result === 'invalid' ? 'reject' : result === 'new' ? 'accept' : 'ignore';
  }

  async #ask(peer: string, request: SyncRequest, signal: AbortSignal): Promise<SyncResponse> {
    signal.throwIfAborted();
    this.stats.requests++;
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    const bytes = await this.#transport.request(peer, encodeSyncRequest(request), {
      signal: AbortSignal.any([signal, timeout]),
    });
    const response = decodeSyncResponse(bytes);
    if (response === null) throw new SyncProtocolError(`malformed sync response from ${peer}`);
    return response;
  }

  /**
   * Pull a range page by page (a page is at most MAX_RANGE_BLOCKS), handing the node up to
   * RECEIVE_BATCH_BLOCKS at a time: the node validates and commits each hand-over in one transaction, and a
   * commit (an fsync) costs more than validating a page. Stops at a malformed page (what came before it is
   * still handed over), at an invalid block, and at a block that waits for another chain.
   */
  async #pullRange(
    peer: string,
    account: Uint8Array,
    fromSeq: bigint,
    toSeq: bigint,
    signal: AbortSignal,
  ): Promise<{ progressed: boolean; blocked: boolean }> {
    const state = { progressed: false, blocked: false };
    const batch: Block[] = [];
    let from = fromSeq;
    let more = from <= toSeq;
    while (more) {
      const response = await this.#ask(peer, { type: 'get-range', account, fromSeq: from, toSeq }, signal);
      const page = response.type === 'blocks' ? this.#decodePage(response.blocks, account, from) : [];
      if (page === null) {
        this.stats.invalidFromPeer++;
        this.#deliver(batch, state);
        return state;
      }
      if (page.length > 0) {
        batch.push(...page);
        from = page[page.length - 1]!.body.seq + 1n;
      }
      more = page.length > 0 && from <= toSeq;
      if (!more || batch.length >= RECEIVE_BATCH_BLOCKS) {
        if (!this.#deliver(batch, state)) return state;
        batch.length = 0;
      }
    }
    return state;
  }

  /**
   * The blocks of one range reply, or null when one is malformed or belongs to another account, or the reply
   * does not start at the seq asked for (so each page moves the range forward and a pull always ends).
   */
  #decodePage(encoded: readonly Uint8Array[], account: Uint8Array, from: bigint): Block[] | null {
    const blocks: Block[] = [];
    for (const bytes of encoded) {
      const block = decodeBlock(bytes, this.#hasher);
      if (block === null || !bytesEqual(block.body.account, account)) return null;
      if (blocks.length === 0 && block.body.seq !== from) return null;
      blocks.push(block);
    }
    return blocks;
  }

  /** Hand blocks to the node; false when the range should stop (an invalid block, or one that waits). */
  #deliver(blocks: readonly Block[], state: { progressed: boolean; blocked: boolean }): boolean {
    if (blocks.length === 0) return true;
    this.stats.blocksReceived += blocks.length;
    const verdicts = this.#target.receive(blocks);
    if (verdicts.some((v) => v.status === 'valid')) state.progressed = true;
    if (verdicts.some((v) => v.status === 'invalid')) {
      this.stats.invalidFromPeer++;
      return false;
    }
    // A block waiting for another chain: stop this chain for now, the other chain's pull will unlock it.
    if (verdicts.some((v) => v.status === 'partial')) {
      state.blocked = true;
      return false;
    }
    return true;
  }

  /** Pull whatever the waiting blocks miss (predecessors, linked SETTLEs, inherited heads). */
  async pullMissing(peer: string, options: { signal: AbortSignal }): Promise<void> {
    for (const missing of this.#target.view.missing().slice(0, 64))
      await this.#pullOne(peer, missing, options.signal);
  }

  async #pullOne(peer: string, missing: MissingBlock, signal: AbortSignal): Promise<void> {
    // Everything between what this node has of the chain and the missing block: a chain this node has never
    // seen is fetched from its OPEN, or the fetched block would only wait for its own predecessor in turn.
    const head = this.#target.view.head(missing.account);
    const next = head ? head.seq + 1n : 1n;
    let start = missing.seq !== null && missing.seq < next ? missing.seq : next;
    // A link into a forked chain may be on the branch this node did not pick: the peer's chain from the fork
    // point on holds it (security finding 12).
    const forkSeq = missing.seq === null ? this.#target.view.forkSeq(missing.account) : null;
    if (forkSeq !== null && forkSeq < start) start = forkSeq;
    await this.#pullRange(peer, missing.account, start, missing.seq ?? 2n ** 63n, signal);
  }

  /** Fetch one account's chain from a peer up to the peer's head (e.g. this node's own, after a restore). */
  async pullAccount(peer: string, account: Uint8Array, options: { signal: AbortSignal }): Promise<bigint> {
    const response = await this.#ask(peer, { type: 'get-heads', accounts: [account] }, options.signal);
    if (response.type !== 'heads') return 0n;
    const theirs = response.heads.find((h) => bytesEqual(h.account, account));
    if (!theirs) return 0n;
    const ours = this.#target.view.head(account)?.seq ?? 0n;
    if (theirs.seq > ours) await this.#pullRange(peer, account, ours + 1n, theirs.seq, options.signal);
    else {
      const mine = this.#target.view.blockAt(account, theirs.seq);
      if (mine && !bytesEqual(mine.id, theirs.id))
        await this.#pullRange(peer, account, theirs.seq, theirs.seq, options.signal);
    }
    return theirs.seq;
  }

  /** Every fraud proof the peer holds, page by page (one unpaged request for a peer that cannot page). */
  async #pullFraudProofs(peer: string, signal: AbortSignal): Promise<void> {
    let after: Uint8Array = new Uint8Array(0);
    for (let page = 0; page < MAX_SYNC_PAGES; page++) {
      let response = await this.#ask(peer, { type: 'get-fraud-after', after }, signal);
      const paged = response.type === 'fraud';
      if (!paged && page === 0) response = await this.#ask(peer, { type: 'get-fraud' }, signal);
      if (response.type !== 'fraud') return;
      let last: Uint8Array | null = null;
      for (const bytes of response.proofs) {
        const proof = decodeFraudProof(bytes, this.#hasher);
        if (proof === null || this.#target.receiveFraudProof(proof) === 'invalid') {
          this.stats.invalidFromPeer++;
          continue;
        }
        const offender = offenderOf(proof);
        if (last === null || compareBytes(offender, last) > 0) last = offender;
      }
      if (!paged || response.proofs.length < MAX_PROOFS || last === null || compareBytes(last, after) <= 0)
        return;
      after = last;
    }
  }

  /** Every head the peer holds, page by page (one unpaged request for a peer that cannot page). */
  async #pullHeads(peer: string, signal: AbortSignal): Promise<WireHead[] | null> {
    const all: WireHead[] = [];
    let after: Uint8Array = new Uint8Array(0);
    for (let page = 0; page < MAX_SYNC_PAGES; page++) {
      const response = await this.#ask(peer, { type: 'get-heads-after', after }, signal);
      if (response.type !== 'heads') {
        if (page > 0) return all;
        const unpaged = await this.#ask(peer, { type: 'get-heads', accounts: [] }, signal);
        return unpaged.type === 'heads' ? [...unpaged.heads] : null;
      }
      all.push(...response.heads);
      const last = response.heads.at(-1)?.account;
      if (response.heads.length < MAX_HEADS || !last || compareBytes(last, after) <= 0) return all;
      after = last;
    }
    return all;
  }

  /** Catch up with one peer: fraud proofs, heads, ranges, then what waiting blocks still need. */
  async syncWith(peer: string, options: { signal: AbortSignal }): Promise<void> {
    await this.#pullFraudProofs(peer, options.signal);
    const heads = await this.#pullHeads(peer, options.signal);
    if (heads === null) return;
    let todo: readonly WireHead[] = heads;
    for (let round = 0; round < this.#maxRounds && todo.length > 0; round++) {
      const next: WireHead[] = [];
      let progressed = false;
      for (const theirs of todo) {
        const ours = this.#target.view.head(theirs.account);
        const ourSeq = ours?.seq ?? 0n;
        if (theirs.seq > ourSeq) {
          const result = await this.#pullRange(peer, theirs.account, ourSeq + 1n, theirs.seq, options.signal);
          progressed ||= result.progressed;
          const now = this.#target.view.head(theirs.account)?.seq ?? 0n;
          if (now < theirs.seq && (result.blocked || result.progressed)) next.push(theirs);
        } else {
          const mine = this.#target.view.blockAt(theirs.account, theirs.seq);
          // Same seq, another id: fetch theirs; receiving it yields the fork proof.
          if (mine && !bytesEqual(mine.id, theirs.id))
            await this.#pullRange(peer, theirs.account, theirs.seq, theirs.seq, options.signal);
        }
      }
      // Waiting blocks a pull unlocked count as progress (a CREDIT whose SETTLE is on a fork branch).
      const waiting = this.#target.view.pendingCount;
      await this.pullMissing(peer, options);
      progressed ||= this.#target.view.pendingCount < waiting;
      todo = progressed ? next : [];
    }
  }
}
