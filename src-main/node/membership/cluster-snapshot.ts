// What a cluster looks like to status pages and the router: every member with its last heartbeat's state,
// this node first where it serves the tier.
import type { ClusterId, EngineState } from '../../../src-shared/protocol/index.ts';
import type { LocalClusterState } from './local-cluster-state.ts';
import type { MemberRecord, MemberStatus } from './membership-view.ts';

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
  /** ms since the last heartbeat (0 for self). */
  readonly lastHeardMsAgo: number;
}

export interface ClusterSnapshot {
  readonly cluster: ClusterId;
  readonly key: string;
  readonly serving: boolean;
  readonly members: readonly MemberSnapshot[];
}

export function memberSnapshot(record: MemberRecord, now: number): MemberSnapshot {
  return {
    peerId: record.peerId,
    self: false,
    status: record.status,
    downReason: record.downReason,
    engine: record.heartbeat.engine,
    modelsReady: record.heartbeat.modelsReady,
    capacity: record.heartbeat.capacity,
    load: record.heartbeat.load,
    version: record.heartbeat.version,
    ...(record.heartbeat.engineNode !== undefined ? { engineNode: record.heartbeat.engineNode } : {}),
    lastHeardMsAgo: Math.max(0, now - record.lastHeardAt),
  };
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
