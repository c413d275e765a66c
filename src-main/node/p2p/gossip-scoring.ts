// Gossipsub peer scoring for our topics. A validator's Reject lowers the sender's score only for topics listed
// in scoreParams.topics, so every topic we validate is listed here.
import type { PeerScoreParams, TopicScoreParams } from '@libp2p/gossipsub/score';

/**
 * Heartbeat topics are quiet (one message per member per interval): the default mesh-delivery penalties
 * would punish honest peers for silence, so they are off. Invalid messages are punished hard: four rejects
 * take a peer below the graylist threshold (measured in ref/libp2p-notes.md §4).
 */
export const QUIET_TOPIC_SCORE: Partial<TopicScoreParams> = {
  topicWeight: 1,
  timeInMeshWeight: 0.01,
  timeInMeshQuantum: 1000,
  timeInMeshCap: 3600,
  firstMessageDeliveriesWeight: 1,
  firstMessageDeliveriesDecay: 0.9,
  firstMessageDeliveriesCap: 10,
  meshMessageDeliveriesWeight: 0,
  meshFailurePenaltyWeight: 0,
  invalidMessageDeliveriesWeight: -10,
  invalidMessageDeliveriesDecay: 0.99,
};

/** How much one point of local reputation (-1…1) weighs in a peer's gossip score. */
export const REPUTATION_SCORE_WEIGHT = 10;
/**
 * A revoked account's peer (reputation -1, a fraud proof against it): far below gossipsub's graylist
 * threshold (-80 by default), whatever its good deliveries earned, so its gossip is ignored.
 */
export const REVOKED_SCORE = -1000;

export function peerScoreParams(
  scoredTopics: readonly string[],
  colocationWhitelist: readonly string[],
  reputation?: (peerId: string) => number,
  penalty?: (peerId: string) => number,
): Partial<PeerScoreParams> {
  const topics: Record<string, TopicScoreParams> = {};
  for (const topic of scoredTopics) topics[topic] = QUIET_TOPIC_SCORE as TopicScoreParams;
  return {
    topics,
    // Many honest peers share one IP behind CGNAT or a relay; the default threshold (10) stays, but known
    // shared addresses (loopback in tests, our own relays) are exempt.
    IPColocationFactorWhitelist: new Set(colocationWhitelist),
    // The ledger's local reputation (settled and failed work, fraud proofs) is gossipsub's application score
    // (P5): up to ±10 points for work done or failed; a revoked account's peer is graylisted. Penalties for
    // what a peer did outside gossip (corrupted model blocks) are subtracted from it.
    ...(reputation || penalty
      ? {
          appSpecificScore: (peerId: string) => {
            const score = reputation?.(peerId) ?? 0;
            const base = score <= -1 ? REVOKED_SCORE : score * REPUTATION_SCORE_WEIGHT;
            return base - (penalty?.(peerId) ?? 0);
          },
          appSpecificWeight: 1,
        }
      : {}),
  };
}
