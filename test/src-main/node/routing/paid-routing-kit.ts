// Paid workers and requesters for the routing attack tests: real libp2p nodes on loopback, real ledgers in
// SQLite files, ledger gossip and sync, and the EXO double as a real process. The attacker side is raw
// /og/infer streams from a real libp2p node (with or without an account).
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { multiaddr } from '@multiformats/multiaddr';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_LEDGER_PARAMS,
  MICRO_PER_TOKEN,
  type LedgerParams,
} from '../../../../src-shared/ledger/ledger-params.ts';
import type { ChatChunk } from '../../../../src-shared/protocol/chat.ts';
import {
  MAX_RESPONSE_FRAME_BYTES,
  decodeWorkerFrame,
  encodeRequesterFrame,
  type RequesterFrame,
  type WorkerFrame,
} from '../../../../src-shared/protocol/infer-frames.ts';
import { INFER_PROTOCOL, ledgerTopic } from '../../../../src-shared/protocol/index.ts';
import type { Engine } from '../../../../src-main/node/engine/engine.ts';
import { LedgerNetwork } from '../../../../src-main/node/ledger/ledger-network.ts';
import { LedgerService } from '../../../../src-main/node/ledger/ledger-service.ts';
import { signerFromIdentity } from '../../../../src-main/node/ledger/ledger-signer.ts';
import { LedgerRequesterPayments } from '../../../../src-main/node/ledger/requester-payments.ts';
import { LedgerWorkerPayments } from '../../../../src-main/node/ledger/worker-payments.ts';
import type { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import type { ClusterDirectory } from '../../../../src-main/node/routing/cluster-directory.ts';
import { FrameChannel } from '../../../../src-main/node/routing/frame-channel.ts';
import { InboundBudget } from '../../../../src-main/node/routing/inbound-budget.ts';
import { InferRequester } from '../../../../src-main/node/routing/infer-requester.ts';
import { InferWorker, type InferWorkerInit } from '../../../../src-main/node/routing/infer-worker.ts';
import { spawnedExoEngine, waitForStatus } from '../engine/engine-test-kit.ts';
import { startLoopbackP2p } from '../p2p/loopback-network.ts';

export const TIER = 'model-a';
type Cleanup = (() => Promise<void> | void)[];

export interface PaidRoutingNode {
  readonly peerId: string;
  readonly p2p: P2pService;
  readonly ledger: LedgerService;
  readonly network: LedgerNetwork;
  readonly worker: InferWorker;
  readonly budget: InboundBudget;
  readonly requesterPayments: LedgerRequesterPayments;
  engine: Engine | null;
}

/** Fresh keys with these genesis amounts (tokens), and the network's parameters. */
export async function fundedNetwork(
  tokens: readonly bigint[],
): Promise<{ keys: Ed25519PrivateKey[]; params: LedgerParams }> {
  const keys = await Promise.all(tokens.map(() => generateKeyPair('Ed25519')));
  const params: LedgerParams = {
    ...DEFAULT_LEDGER_PARAMS,
    networkId: new Uint8Array(32).fill(0x42),
    genesis: keys.map((key, i) => ({ account: key.publicKey.raw, amount: tokens[i]! * MICRO_PER_TOKEN })),
    prices: { [TIER]: { pricePerUnit: 1_000n, promptWeight: 1n, completionWeight: 1n } },
    floor: -1_000n * MICRO_PER_TOKEN,
    maxRequestCost: 2_000n * MICRO_PER_TOKEN,
  };
  return { keys, params };
}

/** A node with a ledger (its account opened) and a paid worker; `open: false` leaves the account unopened. */
export async function paidRoutingNode(
  cleanup: Cleanup,
  params: LedgerParams,
  key: Ed25519PrivateKey,
  bootstrap: string[],
  options: { worker?: InferWorkerInit; budget?: InboundBudget; open?: boolean } = {},
): Promise<PaidRoutingNode> {
  const dir = mkdtempSync(join(tmpdir(), 'og-paid-routing-'));
  cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
  const p2p = await startLoopbackP2p({ bootstrap, scoredTopics: [ledgerTopic('europe')] }, key);
  cleanup.push(() => p2p.stop());
  const signer = signerFromIdentity(key);
  const ledger = new LedgerService(
    { signer, fingerprint: [new Uint8Array(32).fill(key.publicKey.raw[0]!)] },
    { params, dbPath: join(dir, 'ledger.sqlite') },
  );
  await ledger.start();
  cleanup.push(() => ledger.stop());
  if (options.open !== false) ledger.ensureOpen();
  const network = new LedgerNetwork({ libp2p: p2p.libp2p, ledger }, { region: 'europe', antiEntropyMs: 0 });
  await network.start();
  cleanup.push(() => network.stop());
  const workerPayments = new LedgerWorkerPayments({
    ledger,
    signer,
    params: () => params,
    pullAccount: (peer, account, signal) => network.sync.pullAccount(peer, account, { signal }),
  });
  cleanup.push(() => workerPayments.stop());
  const requesterPayments = new LedgerRequesterPayments({
    ledger,
    signer,
    params: () => params,
    selfPeerId: p2p.peerId,
  });
  const budget = options.budget ?? new InboundBudget();
  const node: PaidRoutingNode = {
    peerId: p2p.peerId,
    p2p,
    ledger,
    network,
    budget,
    requesterPayments,
    engine: null,
    worker: null as unknown as InferWorker,
  };
  const worker = new InferWorker(
    {
      host: p2p.libp2p,
      engines: { engineFor: (tier) => (tier === TIER ? (node.engine ?? undefined) : undefined) },
      payments: workerPayments,
      selfPeerId: p2p.peerId,
      inboundBudget: budget,
    },
    { requestTimeoutMs: 5_000, ...options.worker },
  );
  await worker.start();
  cleanup.push(() => worker.stop());
  (node as { worker: InferWorker }).worker = worker;
  return node;
}

export async function withDoubleEngine(
  cleanup: Cleanup,
  node: PaidRoutingNode,
  double: Record<string, string | number | boolean> = {},
): Promise<Engine> {
  const engine = await spawnedExoEngine({ double });
  await engine.start();
  cleanup.push(() => engine.stop());
  await waitForStatus(engine, 'ready');
  node.engine = engine;
  return engine;
}

export function directoryOf(workers: readonly PaidRoutingNode[]): ClusterDirectory {
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

export function paidRequester(node: PaidRoutingNode, directory: ClusterDirectory): InferRequester {
  return new InferRequester(
    { dialer: node.p2p.libp2p, directory, payments: node.requesterPayments },
    { admitTimeoutMs: 5_000, idleTimeoutMs: 10_000, spareStreamMs: 0 },
  );
}

export async function collectText(chunks: AsyncIterable<ChatChunk>): Promise<string> {
  let text = '';
  for await (const chunk of chunks) if (chunk.type === 'delta') text += chunk.content ?? '';
  return text;
}

/** A plain libp2p node (no account, no ledger) connected to `to`. */
export async function strangerNode(cleanup: Cleanup, to: P2pService): Promise<P2pService> {
  const stranger = await startLoopbackP2p({});
  cleanup.push(() => stranger.stop());
  await stranger.libp2p.dial(multiaddr(to.listenAddresses()[0]), { signal: AbortSignal.timeout(5_000) });
  return stranger;
}

/** A raw /og/infer stream from `from` to `to`, speaking frames as a (possibly hostile) requester. */
export async function rawInferStream(
  from: P2pService,
  to: string,
): Promise<{ stream: Stream; channel: FrameChannel<WorkerFrame, RequesterFrame> }> {
  const stream = await from.libp2p.dialProtocol(peerIdFromString(to), INFER_PROTOCOL, {
    signal: AbortSignal.timeout(5_000),
    runOnLimitedConnection: true,
    maxOutboundStreams: 4096,
  });
  const channel = new FrameChannel<WorkerFrame, RequesterFrame>(stream, {
    maxInBytes: MAX_RESPONSE_FRAME_BYTES,
    decode: decodeWorkerFrame,
    encode: encodeRequesterFrame,
  });
  return { stream, channel };
}

export const ASK = { messages: [{ role: 'user' as const, content: 'Say hello' }], max_tokens: 20 };
