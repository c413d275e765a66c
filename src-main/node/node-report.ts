// The node's status report (GET /api/status, `opengateway-node status`), read from whichever services have
// started so far: before a service starts, its part of the report is empty rather than missing.
import type { NetworkConfig } from '../../src-shared/network-config/index.ts';
import type { TierQualification } from '../../src-shared/tiers/index.ts';
import type { GeoService } from './geo/geo-service.ts';
import type { MembershipService } from './membership/membership-service.ts';
import type { ModelsService } from './models/models-service.ts';
import type { NodeStatus, NodeStatusReport } from './node-status.ts';
import type { P2pService } from './p2p/p2p-service.ts';
import type { RoutingService } from './routing/routing-service.ts';

export interface ReportSources {
  readonly version: string;
  readonly peerId: string | null;
  readonly config: NetworkConfig | null;
  readonly status: NodeStatus;
  readonly geo: GeoService | null;
  readonly p2p: P2pService | null;
  readonly tiers: readonly TierQualification[];
  readonly membership: MembershipService | null;
  readonly routing: RoutingService | null;
  readonly models: ModelsService | null;
}

export function statusReport(sources: ReportSources): NodeStatusReport {
  const p2p = sources.p2p?.isStarted ? sources.p2p : null;
  const finishingRequests = sources.routing?.finishingRequests ?? 0;
  return {
    version: sources.version,
    peerId: sources.peerId,
    networkId: sources.config?.networkId ?? null,
    // The paused state carries the drain too: the status is all a tray or a UI gets.
    state:
      sources.status.status === 'paused' && finishingRequests > 0
        ? { ...sources.status, finishingRequests }
        : sources.status,
    region: sources.geo ? sources.geo.decision : null,
    listenAddresses: p2p ? p2p.listenAddresses() : [],
    connections: p2p ? p2p.connectionCount() : 0,
    tiers: sources.tiers,
    clusters: sources.membership?.snapshot() ?? [],
    engines: sources.routing?.engineStates() ?? {},
    engine: sources.routing?.engineKind ?? null,
    tierEngines: sources.routing?.tierEngineViews() ?? {},
    engineOptions: sources.routing
      ? {
          server: sources.routing.tierEngines.server,
          exoInstalled: sources.routing.tierEngines.exoInstalled,
        }
      : null,
    models: sources.models?.states() ?? {},
    rejectedHeartbeats: sources.membership?.rejectedCount ?? 0,
    finishingRequests,
  };
}
