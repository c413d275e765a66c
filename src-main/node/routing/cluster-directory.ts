// What the requester needs to know of a cluster: its live members and their free slots. The membership
// service provides it in the node; tests can provide it from a list.
import type { RegionId } from '../../../src-shared/regions/index.ts';

export interface ClusterMember {
  readonly peerId: string;
  readonly status: 'up' | 'paused' | 'down';
  /** The member's engine has the tier's model loaded. */
  readonly engineReady: boolean;
  readonly capacity: number;
  readonly load: number;
  /** The member's own EXO node id, when it announced one (to pay shards of a multi-machine instance). */
  readonly engineNode?: string;
}

/** A member's answer to "how busy are you", asked right before routing to it. */
export interface MemberLoad {
  readonly capacity: number;
  readonly load: number;
  /** Its engine has the model loaded and it is not paused. */
  readonly ready: boolean;
}

export interface ClusterDirectory {
  /** The node's region; null while it is unknown (then nothing can be routed). */
  region(): RegionId | null;
  /** Members of `<region>/<tier>` as this node sees them (self included when it serves the tier). */
  members(tier: string): readonly ClusterMember[];
  /**
   * Ask a member for its queue and capacity now; null when it does not answer in time. Absent: the loads in
   * `members` are current (a list in tests), nothing is asked.
   */
  readonly askLoad?: (tier: string, peerId: string) => Promise<MemberLoad | null>;
}
