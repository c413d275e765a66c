// The cluster directory the requester routes by, read from the membership service's views (self included).
import type { RegionId } from '../../../src-shared/regions/index.ts';
import type { MembershipService } from '../membership/membership-service.ts';
import type { ClusterDirectory, ClusterMember } from './cluster-directory.ts';

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
  };
}
