// One benchmark node as the coordinator and the workers build it: a real libp2p node on 127.0.0.1 with the
// private-network options, serving or watching the one cluster asia/model-a.
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { P2pService } from '../src-main/node/p2p/p2p-service.ts';
import { membersTopic } from '../src-shared/protocol/index.ts';

export const BENCH_REGION = 'asia';
export const BENCH_TIER = 'model-a';
export const BENCH_TOPIC = membersTopic({ region: BENCH_REGION, tier: BENCH_TIER });

export function benchP2p(
  key: Ed25519PrivateKey,
  options: { bootstrap: string[]; relay: boolean; dht: boolean },
): P2pService {
  return new P2pService(
    { privateKey: key },
    {
      listen: ['/ip4/127.0.0.1/tcp/0'],
      bootstrap: options.bootstrap,
      relayServer: options.relay,
      privateNetwork: true,
      upnp: false,
      natTraversal: false,
      dht: options.dht,
      scoredTopics: [BENCH_TOPIC],
      allowedTopics: [BENCH_TOPIC],
    },
  );
}
