// Every gossip topic a node of this network may see; gossipsub ignores the rest (a bound on what peers can
// make a node track). A new topic must be added here.
import type { NetworkConfig } from '../../../src-shared/network-config/index.ts';
import {
  CONFIG_TOPIC,
  FRAUD_TOPIC,
  ledgerTopic,
  membersTopic,
  reportsTopic,
} from '../../../src-shared/protocol/index.ts';
import { REGION_IDS } from '../../../src-shared/regions/index.ts';
import { DEFAULT_GOSSIP_SHARDS } from '../membership/membership-defaults.ts';

export function knownGossipTopics(config: NetworkConfig): string[] {
  return [
    // Every membership shard of every cluster (hash(peer id) mod S; DEFAULT_GOSSIP_SHARDS per cluster).
    ...REGION_IDS.flatMap((region) =>
      config.tiers.flatMap((tier) =>
        Array.from({ length: DEFAULT_GOSSIP_SHARDS }, (_, shard) =>
          membersTopic({ region, tier: tier.id }, shard),
        ),
      ),
    ),
    ...REGION_IDS.map((region) => ledgerTopic(region)),
    ...REGION_IDS.map((region) => reportsTopic(region)),
    FRAUD_TOPIC,
    CONFIG_TOPIC,
  ];
}
