// The log lines the node writes about its services' events (what `start` prints and operators grep for).
import type { EngineState } from './engine/engine.ts';
import type { RejectedMembershipMessage } from './membership/membership-service.ts';
import type { MemberChange } from './membership/member-change.ts';
import type { ConfigUpdated, ConfigUpdateRefused } from './network-config/config-updates.ts';

export function describeMemberChange(change: MemberChange): string {
  const reason = change.reason ? ` (${change.reason})` : '';
  return `membership: ${change.cluster.region}/${change.cluster.tier} ${change.peerId} ${change.from ?? 'new'} → ${change.to}${reason}`;
}

export function describeRejectedMembershipMessage(rejected: RejectedMembershipMessage): string {
  return `membership: rejected a message from ${rejected.from}: ${rejected.reason}`;
}

export function describeEngineState(clusterId: string, state: EngineState): string {
  const detail = state.status === 'failed' || state.status === 'absent' ? `: ${state.reason}` : '';
  return `engine: ${clusterId} ${state.status}${detail}`;
}

export function describeConfigUpdate(update: ConfigUpdated): string {
  return `network: adopted config revision ${update.config.revision} (was ${update.previousRevision}) from ${update.publisher}`;
}

export function describeRefusedConfig(refused: ConfigUpdateRefused): string {
  return `network: refused a config update from ${refused.from}: ${refused.reason}`;
}
