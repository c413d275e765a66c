// Real libp2p nodes on 127.0.0.1 with real EXO-double engines, wired as requester and workers.
import { generateKeyPair } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import type { Engine } from '../../../../src-main/node/engine/engine.ts';
import { P2pService } from '../../../../src-main/node/p2p/p2p-service.ts';
import type { ClusterDirectory, ClusterMember } from '../../../../src-main/node/routing/cluster-directory.ts';
import {
  InferRequester,
  type InferRequesterInit,
} from '../../../../src-main/node/routing/infer-requester.ts';
import { InferWorker, type InferWorkerInit } from '../../../../src-main/node/routing/infer-worker.ts';
import type { RegionId } from '../../../../src-shared/regions/index.ts';
import { spawnedExoEngine, waitForStatus } from '../engine/engine-test-kit.ts';

export interface TestNode {
  readonly p2p: P2pService;
  readonly peerId: string;
  readonly worker: InferWorker;
  readonly engines: Map<string, Engine>;
}

export async function startNode(
  workerInit: InferWorkerInit = {},
  listen = '/ip4/127.0.0.1/tcp/0',
): Promise<TestNode> {
  const p2p = new P2pService(
    { privateKey: await generateKeyPair('Ed25519') },
    { listen: [listen], privateNetwork: true, dht: false, natTraversal: false },
  );
  await p2p.start();
  const engines = new Map<string, Engine>();
  const worker = new InferWorker(
    { host: p2p.libp2p, engines: { engineFor: (tier) => engines.get(tier) } },
    { requestTimeoutMs: 2_000, ...workerInit },
  );
  await worker.start();
  return { p2p, peerId: p2p.peerId, worker, engines };
}

/** Give `node` a running engine (the EXO double as a real process) for `tier`. */
export async function addEngine(
  node: TestNode,
  tier: string,
  double: Record<string, string | number | boolean> = {},
) {
  const engine = await spawnedExoEngine({ double });
  await engine.start();
  await waitForStatus(engine, 'ready');
  node.engines.set(tier, engine);
  return engine;
}

export async function connect(from: TestNode, to: TestNode): Promise<void> {
  const address = to.p2p.listenAddresses()[0];
  if (!address) throw new Error('node has no listen address');
  await from.p2p.libp2p.dial(multiaddr(address));
}

export async function stopNode(node: TestNode): Promise<void> {
  await node.worker.stop();
  await Promise.all([...node.engines.values()].map((engine) => engine.stop()));
  await node.p2p.stop();
}

/** A directory over real workers: each member's load is read live from its worker, as heartbeats would carry it. */
export function directoryOf(
  region: RegionId,
  members: Record<string, readonly TestNode[]>,
): ClusterDirectory & {
  down: Set<string>;
} {
  const down = new Set<string>();
  return {
    down,
    region: () => region,
    members: (tier) =>
      (members[tier] ?? []).map((node): ClusterMember => ({
        peerId: node.peerId,
        status: down.has(node.peerId) ? 'down' : 'up',
        engineReady: true,
        capacity: node.worker.capacity,
        load: node.worker.load(tier),
      })),
  };
}

export function requesterFor(node: TestNode, directory: ClusterDirectory, init: InferRequesterInit = {}) {
  return new InferRequester(
    { dialer: node.p2p.libp2p, directory, self: { peerId: node.peerId, worker: node.worker } },
    { admitTimeoutMs: 3_000, idleTimeoutMs: 10_000, ...init },
  );
}

export const HELLO = { messages: [{ role: 'user' as const, content: 'Say hello' }], max_tokens: 12 };
