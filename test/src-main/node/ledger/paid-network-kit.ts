// The harness of paid requests over /og/infer: real libp2p nodes on loopback, real ledgers (SQLite files in a
// temporary directory), the EXO double as the engine. Shared by the tests that pay, and that attack payments.
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_LEDGER_PARAMS,
  MICRO_PER_TOKEN,
  type LedgerParams,
} from '../../../../src-shared/ledger/ledger-params.ts';
import type { ChatChunk, ChatRequest } from '../../../../src-shared/protocol/chat.ts';
import { FRAUD_TOPIC, ledgerTopic, reportsTopic } from '../../../../src-shared/protocol/index.ts';
import { encodeNonSettlementReport } from '../../../../src-shared/ledger/payment/non-settlement.ts';
import { LedgerNetwork } from '../../../../src-main/node/ledger/ledger-network.ts';
import { LedgerService } from '../../../../src-main/node/ledger/ledger-service.ts';
import { signerFromIdentity } from '../../../../src-main/node/ledger/ledger-signer.ts';
import { LedgerRequesterPayments } from '../../../../src-main/node/ledger/requester-payments.ts';
import type { SettlementOutcome } from '../../../../src-main/node/ledger/settlement-outcome.ts';
import {
  LedgerWorkerPayments,
  type WorkerPaymentsInit,
} from '../../../../src-main/node/ledger/worker-payments.ts';
import type { Engine } from '../../../../src-main/node/engine/engine.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import type { ClusterDirectory } from '../../../../src-main/node/routing/cluster-directory.ts';
import type { InboundBudget } from '../../../../src-main/node/routing/inbound-budget.ts';
import { InferRequester } from '../../../../src-main/node/routing/infer-requester.ts';
import { InferWorker, type InferWorkerInit } from '../../../../src-main/node/routing/infer-worker.ts';
import type { RequesterPayments, WorkerPayments } from '../../../../src-main/node/routing/payments.ts';
import type { Shareholder } from '../../../../src-main/node/routing/shard-shares.ts';
import { spawnedExoEngine, waitForStatus } from '../engine/engine-test-kit.ts';
import { startLoopbackP2p } from '../p2p/loopback-network.ts';
import { neverSettling } from './hostile-payments.ts';
import { ScriptedEngineDouble, wordDeltas } from './scripted-engine.ts';

/** Steps that undo what the helpers started; a test file runs them in its afterEach (see runCleanup). */
export const cleanup: (() => Promise<void> | void)[] = [];

export async function runCleanup(): Promise<void> {
  for (const step of cleanup.splice(0).reverse()) await step();
}

export const TIER = 'model-a';
/** µT per work unit: 1 token per 1,000 units (the default model-a price). */
export const PRICE = 1_000n;

export interface PaidNode {
  readonly key: Ed25519PrivateKey;
  readonly peerId: string;
  readonly p2p: P2pService;
  readonly ledger: LedgerService;
  readonly network: LedgerNetwork;
  readonly worker: InferWorker;
  readonly workerPayments: LedgerWorkerPayments;
  readonly requesterPayments: LedgerRequesterPayments;
  readonly settlements: SettlementOutcome[];
  /** The ledger's SQLite file (a restart opens it again). */
  readonly dbPath: string;
  /** Reports of non-settlement this node published. */
  readonly reports: Uint8Array[];
  engine: Engine | null;
}

export interface PaidNodeOptions {
  readonly worker?: InferWorkerInit;
  readonly payments?: WorkerPaymentsInit;
  readonly shareholders?: (tier: string, engine: Engine) => readonly Shareholder[];
  /** The machine binding's hashes; one hash from the key's first byte by default. */
  readonly fingerprint?: Uint8Array[];
  /** What the worker uses as its payments: a hostile wrapper of the real ones in attack tests. */
  readonly workerPaymentsAs?: (real: LedgerWorkerPayments) => WorkerPayments;
  /** The worker's inbound byte budget (a test watches or tightens it); the worker's own by default. */
  readonly budget?: InboundBudget;
  /** Listen addresses (default one port on 127.0.0.1): another loopback address stands for another machine. */
  readonly listen?: string[];
}

/** Fresh account keys with these genesis amounts (tokens), and the network's parameters. */
export async function fundedAccounts<const T extends readonly bigint[]>(
  tokens: T,
): Promise<{ keys: { [K in keyof T]: Ed25519PrivateKey }; params: LedgerParams }> {
  const keys = await Promise.all(tokens.map(() => generateKeyPair('Ed25519')));
  const params = paramsFor(keys.map((key, i) => [key, tokens[i]!] as const));
  return { keys: keys as { [K in keyof T]: Ed25519PrivateKey }, params };
}

export function paramsFor(genesis: readonly (readonly [Ed25519PrivateKey, bigint])[]): LedgerParams {
  return {
    ...DEFAULT_LEDGER_PARAMS,
    networkId: new Uint8Array(32).fill(0x42),
    genesis: genesis.map(([key, tokens]) => ({
      account: key.publicKey.raw,
      amount: tokens * MICRO_PER_TOKEN,
    })),
    prices: { [TIER]: { pricePerUnit: PRICE, promptWeight: 1n, completionWeight: 1n } },
    floor: -1_000n * MICRO_PER_TOKEN,
    maxRequestCost: 2_000n * MICRO_PER_TOKEN,
  };
}

export async function paidNode(
  params: LedgerParams,
  key: Ed25519PrivateKey,
  bootstrap: string[],
  options: PaidNodeOptions = {},
): Promise<PaidNode> {
  const dir = mkdtempSync(join(tmpdir(), 'og-paid-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  // The ledger's reputation feeds gossip scores (bound late: the payments exist only after the p2p node).
  const holder: { payments: LedgerRequesterPayments | null } = { payments: null };
  const p2p = await startLoopbackP2p(
    {
      bootstrap,
      ...(options.listen ? { listen: options.listen } : {}),
      scoredTopics: [ledgerTopic('europe'), FRAUD_TOPIC, reportsTopic('europe')],
      reputation: (peer) => holder.payments?.reputation(peer) ?? 0,
    },
    key,
  );
  cleanup.push(() => p2p.stop());
  const signer = signerFromIdentity(key);
  const ledger = await startLedger(key, params, join(dir, 'ledger.sqlite'), options.fingerprint);
  ledger.ensureOpen();
  const network = new LedgerNetwork(
    { libp2p: p2p.libp2p, ledger },
    {
      region: 'europe',
      antiEntropyMs: 0,
      ...(options.payments?.settleDeadlineMs ? { settleDeadlineMs: options.payments.settleDeadlineMs } : {}),
    },
  );
  await network.start();
  cleanup.push(() => network.stop());
  const workerPayments = new LedgerWorkerPayments(
    {
      ledger,
      signer,
      params: () => params,
      pullAccount: (peer, account, signal) => network.sync.pullAccount(peer, account, { signal }),
    },
    options.payments,
  );
  cleanup.push(() => workerPayments.stop());
  const settlements: SettlementOutcome[] = [];
  workerPayments.addEventListener('settlement', (event) => settlements.push(event.detail));
  const reports: Uint8Array[] = [];
  workerPayments.addEventListener('report', (event) => {
    reports.push(encodeNonSettlementReport(event.detail));
    void network.publishReport(event.detail);
  });
  const requesterPayments = new LedgerRequesterPayments({
    ledger,
    signer,
    params: () => params,
    selfPeerId: p2p.peerId,
  });
  holder.payments = requesterPayments;
  const node: PaidNode = {
    key,
    peerId: p2p.peerId,
    p2p,
    ledger,
    network,
    workerPayments,
    requesterPayments,
    settlements,
    dbPath: join(dir, 'ledger.sqlite'),
    reports,
    engine: null,
    worker: null as unknown as InferWorker,
  };
  const worker = new InferWorker(
    {
      host: p2p.libp2p,
      engines: { engineFor: (tier) => (tier === TIER ? (node.engine ?? undefined) : undefined) },
      payments: options.workerPaymentsAs ? options.workerPaymentsAs(workerPayments) : workerPayments,
      selfPeerId: p2p.peerId,
      ...(options.shareholders ? { shareholders: options.shareholders } : {}),
      ...(options.budget ? { inboundBudget: options.budget } : {}),
    },
    { requestTimeoutMs: 5_000, ...options.worker },
  );
  await worker.start();
  cleanup.push(() => worker.stop());
  (node as { worker: InferWorker }).worker = worker;
  return node;
}

/**
 * A started ledger of `key` on the SQLite file at `dbPath` (a restart passes an existing node's file), stopped
 * by the cleanup. The machine binding is `fingerprint`, by default one hash from the key's first byte.
 */
export async function startLedger(
  key: Ed25519PrivateKey,
  params: LedgerParams,
  dbPath: string,
  fingerprint: Uint8Array[] = [new Uint8Array(32).fill(key.publicKey.raw[0]!)],
): Promise<LedgerService> {
  const ledger = new LedgerService({ signer: signerFromIdentity(key), fingerprint }, { params, dbPath });
  cleanup.push(() => ledger.stop());
  await ledger.start();
  return ledger;
}

/**
 * The worker payments of a node restarted on `ledger` after it was down past a 60 s settle deadline (its
 * clock is two minutes ahead), with no grace before resuming judgements; stopped by the cleanup.
 */
export function restartedWorkerPayments(
  ledger: LedgerService,
  key: Ed25519PrivateKey,
  params: LedgerParams,
): LedgerWorkerPayments {
  const payments = new LedgerWorkerPayments(
    { ledger, signer: signerFromIdentity(key), params: () => params, pullAccount: () => Promise.resolve() },
    { settleDeadlineMs: 60_000, now: () => Date.now() + 120_000, resumeGraceMs: 0 },
  );
  cleanup.push(() => payments.stop());
  return payments;
}

/** A worker node (with `options`) and a requester node that knows and has dialled it. */
export async function dialledPair(
  params: LedgerParams,
  keyR: Ed25519PrivateKey,
  keyW: Ed25519PrivateKey,
  options: PaidNodeOptions = {},
): Promise<{ r: PaidNode; w: PaidNode }> {
  const w = await paidNode(params, keyW, [], options);
  const r = await paidNode(params, keyR, [w.p2p.listenAddresses()[0]!]);
  await r.p2p.libp2p.dial(multiaddr(w.p2p.listenAddresses()[0]));
  return { r, w };
}

/**
 * A worker node (with `options`) that served a 40-token reply from a scripted engine to a requester node that
 * acknowledged every token and never settled (its settle threw `why`).
 */
export async function unsettledRequest(
  params: LedgerParams,
  keyR: Ed25519PrivateKey,
  keyW: Ed25519PrivateKey,
  options: PaidNodeOptions,
  why?: string,
): Promise<{ r: PaidNode; w: PaidNode }> {
  const { r, w } = await dialledPair(params, keyR, keyW, options);
  w.engine = new ScriptedEngineDouble(wordDeltas(40));
  await collect(
    requesterOf(r, [w], neverSettling(r.requesterPayments, why)).chat(TIER, { ...ASK, max_tokens: 40 }),
  );
  return { r, w };
}

export async function withEngine(
  node: PaidNode,
  double: Record<string, string | number | boolean> = {},
  memoryMb?: number,
) {
  const engine = await spawnedExoEngine({ double, ...(memoryMb ? { init: { memoryMb } } : {}) });
  await engine.start();
  cleanup.push(() => engine.stop());
  await waitForStatus(engine, 'ready');
  node.engine = engine;
}

export function directoryOf(workers: readonly PaidNode[]): ClusterDirectory {
  return {
    region: () => 'europe',
    members: (tier) =>
      tier === TIER
        ? workers.map((w) => ({
            peerId: w.peerId,
            status: 'up' as const,
            engineReady: true,
            capacity: w.worker.capacity,
            load: w.worker.load(tier),
          }))
        : [],
  };
}

export function requesterOf(node: PaidNode, workers: readonly PaidNode[], payments?: RequesterPayments) {
  return new InferRequester(
    {
      dialer: node.p2p.libp2p,
      directory: directoryOf(workers),
      payments: payments ?? node.requesterPayments,
    },
    { admitTimeoutMs: 5_000, idleTimeoutMs: 10_000, spareStreamMs: 0 },
  );
}

export async function collect(
  chunks: AsyncIterable<ChatChunk>,
): Promise<{ text: string; usage: ChatChunk | null }> {
  let text = '';
  let usage: ChatChunk | null = null;
  for await (const chunk of chunks) {
    if (chunk.type === 'delta') text += chunk.content ?? '';
    else usage = chunk;
  }
  return { text, usage };
}

/** Reads a reply that is expected to fail: the deltas that arrived before it did, and what it threw. */
export async function deltasBeforeError(
  chunks: AsyncIterable<ChatChunk>,
): Promise<{ received: number; error: unknown }> {
  let received = 0;
  const error = await (async () => {
    for await (const chunk of chunks) if (chunk.type === 'delta') received++;
  })().catch((e: unknown) => e);
  return { received, error };
}

export const ASK: ChatRequest = { messages: [{ role: 'user', content: 'Say hello' }], max_tokens: 40 };
