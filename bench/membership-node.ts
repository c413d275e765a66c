// One benchmark node as the coordinator and the workers build it: a real libp2p node on 127.0.0.1 with the
// private-network options, serving or watching the one cluster asia/model-a (sampled membership, issue 16).
import type { Ed25519PrivateKey } from '@libp2p/interface';
import { P2pService } from '../src-main/node/p2p/p2p-service.ts';
import { DEFAULT_GOSSIP_SHARDS } from '../src-main/node/membership/membership-defaults.ts';
import { membersTopic } from '../src-shared/protocol/index.ts';

export const BENCH_REGION = 'asia';
export const BENCH_TIER = 'model-a';
/** The cluster's gossip shards (rare events only). */
export const BENCH_TOPICS = Array.from({ length: DEFAULT_GOSSIP_SHARDS }, (_, shard) =>
  membersTopic({ region: BENCH_REGION, tier: BENCH_TIER }, shard),
);

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
      scoredTopics: BENCH_TOPICS,
      allowedTopics: BENCH_TOPICS,
    },
  );
}
