// How a member's standing changes as this node sees it; shared by the views, the service and its listeners.
import type { ClusterId } from '../../../src-shared/protocol/protocol-ids.ts';

export type MemberStatus = 'up' | 'paused' | 'down';
/** timeout: missed heartbeats (full view) or failed probes (SWIM); left: the member said goodbye. */
export type DownReason = 'timeout' | 'disconnected' | 'left';

/** A member moved between states; `from` is null for a member seen for the first time. */
export interface MemberChange {
  readonly cluster: ClusterId;
  readonly peerId: string;
  readonly from: MemberStatus | null;
  readonly to: MemberStatus;
  readonly reason: DownReason | null;
}
