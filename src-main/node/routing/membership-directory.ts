// The cluster directory the requester routes by: the membership service's sampled views (self included),
// and load asked of a candidate right before routing (members announce only rarely changing state).
import type { RegionId } from '../../../src-shared/regions/index.ts';
import type { MembershipService } from '../membership/membership-service.ts';
import type { ClusterDirectory, ClusterMember, MemberLoad } from './cluster-directory.ts';

export function membershipDirectory(membership: MembershipService): ClusterDirectory {
  return {
    region: (): RegionId | null => membership.plan?.region ?? null,
    members: (tier: string): ClusterMember[] => {
      const cluster = membership.snapshot().find((snapshot) => snapshot.cluster.tier === tier);
      return (cluster?.members ?? []).map((member) => ({
        peerId: member.peerId,
        status: member.status,
        engineReady: member.engine === 'ready' && member.modelsReady.length > 0,
        capacity: member.capacity,
        load: member.load,
        ...(member.engineNode !== undefined ? { engineNode: member.engineNode } : {}),
      }));
    },
    askLoad: (tier: string, peerId: string): Promise<MemberLoad | null> => membership.queryLoad(tier, peerId),
  };
}
