// What a cluster looks like to status pages and the router: the sampled members with what each last said
// about itself (load: its last answer to a load query), this node first where it serves the tier.
import type { ClusterId, EngineState } from '../../../src-shared/protocol/index.ts';
import type { LocalClusterState } from './local-cluster-state.ts';
import type { MemberStatus } from './member-change.ts';

export interface MemberSnapshot {
  readonly peerId: string;
  readonly self: boolean;
  readonly status: MemberStatus;
  readonly downReason: string | null;
  readonly engine: EngineState;
  readonly modelsReady: readonly string[];
  readonly capacity: number;
  readonly load: number;
  readonly version: string;
  /** The member's own EXO node id, when it sent one. */
  readonly engineNode?: string;
  /** ms since the member last answered this node (0 for self). */
  readonly lastHeardMsAgo: number;
}

export interface ClusterSnapshot {
  readonly cluster: ClusterId;
  readonly key: string;
  readonly serving: boolean;
  readonly members: readonly MemberSnapshot[];
}

/** This node as a member of a cluster it serves. */
export function selfSnapshot(
  peerId: string,
  paused: boolean,
  local: LocalClusterState,
  version: string,
): MemberSnapshot {
  return {
    peerId,
    self: true,
    status: paused ? 'paused' : 'up',
    downReason: null,
    engine: local.engine,
    modelsReady: local.modelsReady,
    capacity: local.capacity,
    load: local.load,
    version,
    ...(local.engineNode !== undefined ? { engineNode: local.engineNode } : {}),
    lastHeardMsAgo: 0,
  };
}
