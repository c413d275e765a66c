// The checks a heartbeat must pass before it reaches a view or is forwarded. Everything here is about the
// message as a peer sent it; an invalid one is rejected so gossipsub lowers the sender's score.
import type { Message } from '@libp2p/gossipsub';
import type { RegionId } from '../../../src-shared/regions/index.ts';
import { decodeHeartbeat, parseMembersTopic, type Heartbeat } from '../../../src-shared/protocol/index.ts';

/** Heartbeats whose sender clock is further off than this are stale replays (or a broken clock): ignored. */
export const MAX_HEARTBEAT_AGE_MS = 10 * 60_000;

export type HeartbeatVerdict =
  | { readonly verdict: 'accept'; readonly heartbeat: Heartbeat }
  /** Harmless but useless (old, duplicate, not our region): dropped without a penalty. */
  | { readonly verdict: 'ignore'; readonly reason: string }
  /** Malformed, oversized, wrong region or tier, or signed by someone other than the claimed member. */
  | { readonly verdict: 'reject'; readonly reason: string };

export interface HeartbeatContext {
  readonly ownRegion: RegionId;
  readonly now: number;
  /** Last seq accepted from this peer on this topic, if any. */
  readonly lastSeq: (peerId: string) => number | null;
}

export function judgeHeartbeat(message: Message, context: HeartbeatContext): HeartbeatVerdict {
  const cluster = parseMembersTopic(message.topic);
  if (cluster === null) return { verdict: 'reject', reason: 'not a members topic' };
  if (message.type !== 'signed') return { verdict: 'reject', reason: 'unsigned message' };
  const decoded = decodeHeartbeat(message.data);
  if (!decoded.ok) return { verdict: 'reject', reason: decoded.reason };
  const heartbeat = decoded.heartbeat;
  if (heartbeat.region !== cluster.region)
    return { verdict: 'reject', reason: `claims region ${heartbeat.region} on a ${cluster.region} topic` };
  if (heartbeat.tier !== cluster.tier)
    return { verdict: 'reject', reason: `claims tier ${heartbeat.tier} on a ${cluster.tier} topic` };
  if (message.from.toString() !== heartbeat.peerId)
    return { verdict: 'reject', reason: 'signed by a different key than the member it names' };
  if (cluster.region !== context.ownRegion) return { verdict: 'ignore', reason: 'another region' };
  if (Math.abs(context.now - heartbeat.sentAt) > MAX_HEARTBEAT_AGE_MS)
    return { verdict: 'ignore', reason: 'stale' };
  const lastSeq = context.lastSeq(heartbeat.peerId);
  if (lastSeq !== null && heartbeat.seq <= lastSeq)
    return { verdict: 'ignore', reason: 'replayed or reordered' };
  return { verdict: 'accept', heartbeat };
}
