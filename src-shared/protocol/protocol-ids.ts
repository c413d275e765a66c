// Protocol ids and gossip topic names (DESIGN.md §5). Every node of every version agrees on these strings,
// so they change only with a new protocol version.
import { isRegionId, type RegionId } from '../regions/index.ts';
import { TIER_ID_PATTERN } from '../tiers/tier-spec.ts';

/** The private Kademlia DHT: a separate DHT from IPFS's public one. */
export const KAD_PROTOCOL = '/og/kad/1.0.0';
/** Inference requests, worker and requester side. */
export const INFER_PROTOCOL = '/og/infer/1.0.0';
/** Ledger anti-entropy sync. */
export const LEDGER_SYNC_PROTOCOL = '/og/ledger-sync/1.0.0';

/** Fraud proofs travel network-wide: an offender must be revoked in every region. */
export const FRAUD_TOPIC = '/og/1/fraud';
/** Signed network config updates. */
export const CONFIG_TOPIC = '/og/1/config';

/** A tier id as it may appear in a topic (the tier table's own rule). */
export function isTierIdSyntax(value: unknown): value is string {
  return typeof value === 'string' && TIER_ID_PATTERN.test(value);
}

/** One model cluster: the nodes of one region that serve one tier. */
export interface ClusterId {
  readonly region: RegionId;
  readonly tier: string;
}

/** `asia/model-b`: how logs and the status output name a cluster. */
export function clusterKey(cluster: ClusterId): string {
  return `${cluster.region}/${cluster.tier}`;
}

/** The heartbeat topic of a cluster: `/og/1/<region>/<tier>/members`. */
export function membersTopic(cluster: ClusterId): string {
  if (!isTierIdSyntax(cluster.tier)) throw new RangeError(`invalid tier id ${JSON.stringify(cluster.tier)}`);
  return `/og/1/${cluster.region}/${cluster.tier}/members`;
}

/** The inverse of membersTopic; null for any other string. */
export function parseMembersTopic(topic: string): ClusterId | null {
  const match = /^\/og\/1\/([a-z-]+)\/([^/]+)\/members$/.exec(topic);
  if (!match) return null;
  const [, region, tier] = match;
  if (!isRegionId(region) || !isTierIdSyntax(tier)) return null;
  return { region, tier };
}

/**
 * Reports of requesters that did not settle, with their own signed RESERVE and ack as evidence:
 * `/og/1/<region>/reports`. Each node judges a report against its own view before it counts.
 */
export function reportsTopic(region: RegionId): string {
  return `/og/1/${region}/reports`;
}

/** The ledger block topic of a region: `/og/1/<region>/ledger`. */
export function ledgerTopic(region: RegionId): string {
  return `/og/1/${region}/ledger`;
}
