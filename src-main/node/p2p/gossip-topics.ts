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

export function knownGossipTopics(config: NetworkConfig): string[] {
  return [
    ...REGION_IDS.flatMap((region) => config.tiers.map((tier) => membersTopic({ region, tier: tier.id }))),
    ...REGION_IDS.map((region) => ledgerTopic(region)),
    ...REGION_IDS.map((region) => reportsTopic(region)),
    FRAUD_TOPIC,
    CONFIG_TOPIC,
  ];
}
