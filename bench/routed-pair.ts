// Two libp2p nodes on 127.0.0.1, requester and worker, the worker serving one engine unpaid: the routed path
// the routing benchmarks measure against calling the engine directly.
import { generateKeyPair } from '@libp2p/crypto/keys';
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { multiaddr } from '@multiformats/multiaddr';
import type { Engine } from '../src-main/node/engine/engine.ts';
import { P2pService } from '../src-main/node/p2p/p2p-service.ts';
import type { ClusterDirectory } from '../src-main/node/routing/cluster-directory.ts';
import { InferRequester } from '../src-main/node/routing/infer-requester.ts';
import { InferWorker } from '../src-main/node/routing/infer-worker.ts';

export interface RoutedPair {
  readonly requester: InferRequester;
  readonly worker: InferWorker;
  stop(): Promise<void>;
}

/** A started libp2p node on a loopback port, in a private network, with no DHT or NAT traversal. */
export async function benchNode(privateKey?: Ed25519PrivateKey): Promise<P2pService> {
  const p2p = new P2pService(
    { privateKey: privateKey ?? (await generateKeyPair('Ed25519')) },
    { listen: ['/ip4/127.0.0.1/tcp/0'], privateNetwork: true, dht: false, natTraversal: false },
  );
  await p2p.start();
  return p2p;
}

/** A directory with one member, `worker` on `peerId`, serving model-a. */
export function oneWorkerDirectory(peerId: string, worker: InferWorker): ClusterDirectory {
  return {
    region: () => 'asia',
    members: () => [
      {
        peerId,
        status: 'up',
        engineReady: true,
        capacity: worker.capacity,
        load: worker.load('model-a'),
      },
    ],
  };
}

/** A requester node dialled to a worker node that serves `engine` for every tier, `capacityPerTier` at once. */
export async function routedPair(engine: Engine, capacityPerTier: number): Promise<RoutedPair> {
  const [requesterNode, workerNode] = await Promise.all([benchNode(), benchNode()]);
  const worker = new InferWorker(
    { host: workerNode.libp2p, engines: { engineFor: () => engine } },
    { capacityPerTier },
  );
  const stop = async () => {
    await worker.stop();
    await Promise.all([requesterNode.stop(), workerNode.stop()]);
  };
  try {
    await worker.start();
    await requesterNode.libp2p.dial(multiaddr(workerNode.listenAddresses()[0]));
  } catch (error) {
    await stop();
    throw error;
  }
  const requester = new InferRequester({
    dialer: requesterNode.libp2p,
    directory: oneWorkerDirectory(workerNode.peerId, worker),
  });
  return { requester, worker, stop };
}
