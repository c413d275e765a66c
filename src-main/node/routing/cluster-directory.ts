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

export interface ClusterDirectory {
  /** The node's region; null while it is unknown (then nothing can be routed). */
  region(): RegionId | null;
  /** Members of `<region>/<tier>` as this node sees them (self included when it serves the tier). */
  members(tier: string): readonly ClusterMember[];
}
