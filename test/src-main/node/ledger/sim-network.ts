// A simulated network for the ledger's property tests: nodes with their own LedgerView, gossip with random
// delays, drops and reorderings, request/response sync that can fail, and partitions. Virtual time: events
// run in time order from one queue, with the event loop drained between events so sync's promise chains
// advance. Deterministic for a given seed.
import type { Block, BlockBody } from '../../../../src-shared/ledger/block.ts';
import { createBlock, encodeBlock } from '../../../../src-shared/ledger/block-codec.ts';
import { LedgerView } from '../../../../src-shared/ledger/ledger-view.ts';
import type { FraudProof } from '../../../../src-shared/ledger/fraud-proof.ts';
import { encodeFraudProof } from '../../../../src-shared/ledger/fraud-proof.ts';
import type { LedgerParams } from '../../../../src-shared/ledger/ledger-params.ts';
import { LedgerSync, type SyncTarget } from '../../../../src-main/node/ledger/ledger-sync.ts';
import { answerSyncRequest } from '../../../../src-main/node/ledger/sync-answer.ts';
import { createNativeVerifier, nativeSha256 } from '../../../../src-main/node/ledger/native-crypto.ts';
import { T0, type TestAccount } from '../../../src-shared/ledger/ledger-fixtures.ts';

/** mulberry32: a small seeded PRNG. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const verify = createNativeVerifier();

export class SimNode implements SyncTarget {
  readonly name: string;
  readonly account: TestAccount;
  readonly view: LedgerView;
  readonly sync: LedgerSync;
  readonly proofsSeen: FraudProof[] = [];
  readonly #net: SimNetwork;

  constructor(name: string, account: TestAccount, params: LedgerParams, net: SimNetwork) {
    this.name = name;
    this.account = account;
    this.view = new LedgerView({ params, verify, hasher: nativeSha256 });
    this.#net = net;
    this.sync = new LedgerSync(
      {
        target: this,
        transport: { request: (peer, bytes, { signal }) => net.request(name, peer, bytes, signal) },
      },
      { hasher: nativeSha256, requestTimeoutMs: 60_000 },
    );
  }

  receive(blocks: readonly Block[]) {
    const verdicts = [];
    for (const block of blocks) {
      const result = this.view.receive(block, T0);
      verdicts.push(result.verdict);
      if (result.proof) {
        this.proofsSeen.push(result.proof);
        this.#net.gossipProof(this.name, result.proof);
      }
      this.#net.afterChange(this);
    }
    return verdicts;
  }

  receiveFraudProof(proof: FraudProof) {
    const outcome = this.view.addFraudProof(proof);
    if (outcome === 'new') this.#net.gossipProof(this.name, proof);
    return outcome;
  }

  /** Sign an own block built from this node's view, apply it, gossip it. Null when its own view rejects it. */
  append(build: (view: LedgerView) => BlockBody | null): Block | null {
    const body = build(this.view);
    if (body === null) return null;
    const block = createBlock(body, (m) => this.account.sign(m), nativeSha256);
    const result = this.view.receive(block, T0);
    if (result.verdict.status !== 'valid') return null;
    this.#net.afterChange(this);
    this.#net.gossip(this.name, block);
    return block;
  }
}

interface Event {
  readonly at: number;
  readonly order: number;
  readonly run: () => void;
}

export interface SimOptions {
  readonly dropRate: number;
  readonly maxDelay: number;
}

export class SimNetwork {
  readonly nodes = new Map<string, SimNode>();
  readonly random: () => number;
  options: SimOptions;
  #now = 0;
  #order = 0;
  #queue: Event[] = [];
  readonly #blocked = new Set<string>();
  /** Called after every change of any node's view (the conservation check). */
  onChange: (node: SimNode) => void = () => undefined;

  constructor(seed: number, options: SimOptions) {
    this.random = prng(seed);
    this.options = options;
  }

  add(node: SimNode): void {
    this.nodes.set(node.name, node);
  }

  afterChange(node: SimNode): void {
    this.onChange(node);
  }

  partition(a: string, b: string, blocked: boolean): void {
    for (const key of [`${a}|${b}`, `${b}|${a}`]) {
      if (blocked) this.#blocked.add(key);
      else this.#blocked.delete(key);
    }
  }

  heal(): void {
    this.#blocked.clear();
  }

  #reachable(from: string, to: string): boolean {
    return !this.#blocked.has(`${from}|${to}`);
  }

  schedule(delay: number, run: () => void): void {
    this.#queue.push({ at: this.#now + delay, order: this.#order++, run });
  }

  #delay(): number {
    return Math.floor(this.random() * this.options.maxDelay);
  }

  /** Deliver a block to every other node, each copy with its own delay, maybe dropped. */
  gossip(from: string, block: Block): void {
    const bytes = encodeBlock(block);
    for (const node of this.nodes.values()) {
      if (node.name === from || !this.#reachable(from, node.name) || this.random() < this.options.dropRate)
        continue;
      this.schedule(this.#delay(), () => {
        const { pull } = node.sync.onGossipBlock(bytes, from);
        void pull;
      });
    }
  }

  /** Send one block to chosen nodes only (a forker showing different bodies to different nodes). */
  sendTo(targets: readonly string[], from: string, block: Block): void {
    const bytes = encodeBlock(block);
    for (const name of targets) {
      const node = this.nodes.get(name)!;
      this.schedule(this.#delay(), () => void node.sync.onGossipBlock(bytes, from).pull);
    }
  }

  gossipProof(from: string, proof: FraudProof): void {
    const bytes = encodeFraudProof(proof);
    for (const node of this.nodes.values()) {
      if (node.name === from || !this.#reachable(from, node.name) || this.random() < this.options.dropRate)
        continue;
      this.schedule(this.#delay(), () => node.sync.onGossipFraudProof(bytes));
    }
  }

  request(from: string, to: string, bytes: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      const target = this.nodes.get(to);
      if (!target || !this.#reachable(from, to) || this.random() < this.options.dropRate / 2) {
        this.schedule(this.#delay(), () => reject(new Error('unreachable')));
        return;
      }
      this.schedule(this.#delay(), () => {
        if (signal.aborted) return reject(new Error('aborted'));
        const response = answerSyncRequest(target.view, bytes);
        this.schedule(this.#delay(), () => resolve(response));
      });
    });
  }

  /** Anti-entropy: `from` syncs with `to`; failures are fine (the next round retries). */
  antiEntropy(from: string, to: string): void {
    const node = this.nodes.get(from)!;
    this.schedule(this.#delay(), () => {
      node.sync.syncWith(to, { signal: new AbortController().signal }).catch(() => undefined);
    });
  }

  /** Run events in time order until none is left, draining the event loop between them. */
  async run(): Promise<void> {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      if (this.#queue.length === 0) {
        await new Promise<void>((resolve) => setImmediate(resolve));
        if (this.#queue.length === 0) return;
      }
      this.#queue.sort((a, b) => a.at - b.at || a.order - b.order);
      const event = this.#queue.shift()!;
      this.#now = Math.max(this.#now, event.at);
      event.run();
    }
  }
}
