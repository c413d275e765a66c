// What joining a region means for a running node: plan the tiers it serves there (fetching the models that are
// missing; a tier whose model is not here yet joins once it is), then the ledger, the clusters and the engines
// follow the region, in that order. Without a known region they all leave it.
import type { NetworkConfig } from '../../src-shared/network-config/index.ts';
import type { RegionId } from '../../src-shared/regions/index.ts';
import type { ResourceProfile, TierQualification } from '../../src-shared/tiers/index.ts';
import type { NodeLedger } from './ledger/node-ledger.ts';
import { isAlone, lookingForPeers, type BootstrapPlan } from './looking-for-peers.ts';
import type { MembershipService } from './membership/membership-service.ts';
import type { ModelsService } from './models/models-service.ts';
import { planNodeServing } from './node-clusters.ts';
import type { NodeOptions } from './node-options.ts';
import type { NodeStatus } from './node-status.ts';
import type { P2pService } from './p2p/p2p-service.ts';
import type { RoutingService } from './routing/routing-service.ts';
import type { NodeSettingsStore } from './settings/node-settings-store.ts';

/** The started services and facts a region join reads. */
export interface RegionJoinParts {
  readonly config: NetworkConfig;
  readonly p2p: P2pService;
  readonly bootstrap: BootstrapPlan;
  readonly membership: MembershipService;
  readonly routing: RoutingService | null;
  readonly ledger: NodeLedger | null;
  readonly models: ModelsService | null;
  readonly profile: ResourceProfile | null;
  readonly tiers: readonly TierQualification[];
  readonly options: NodeOptions;
  readonly settings: NodeSettingsStore;
  readonly log: (line: string) => void;
}

/**
 * No region is known: the ledger, the clusters and the engines leave the one they were in. Resolves to the
 * node's status without one.
 */
export async function leaveRegion(parts: RegionJoinParts): Promise<NodeStatus> {
  await parts.ledger?.join(parts.p2p.libp2p, null);
  await parts.membership.leave();
  await parts.routing?.serve(null, []);
  // Alone, the region cannot be known yet: the first peers will tell it (geo re-decides and re-joins).
  if (isAlone(parts.p2p, parts.bootstrap)) return lookingForPeers(parts.p2p, parts.bootstrap);
  return {
    status: 'offline',
    message: 'the region is unknown: set one in settings (or --region)',
    retryAt: null,
  };
}

/**
 * Serve `region`: plan, then join the ledger and the clusters; `membershipJoined` runs before the engines start
 * (onboarding shows that step).
 */
export async function joinRegion(
  parts: RegionJoinParts,
  region: RegionId,
  options: { readonly signal: AbortSignal | undefined; readonly membershipJoined: () => void },
): Promise<void> {
  const { config, membership, routing, models, log } = parts;
  const known = new Set(config.tiers.map((tier) => tier.id));
  const { serve, planned, fetch, skipped } = await planNodeServing({
    config,
    profile: parts.profile,
    qualified: parts.tiers,
    forced: parts.options.serveTiers ?? [],
    models,
    engineFor: (tier) => routing?.engineSettingsFor(tier).kind ?? 'exo',
    ...(parts.options.routing?.modelSource ? { givenModels: parts.options.routing.modelSource } : {}),
    stored: await parts.settings.stored(),
  });
  for (const { tier, reason } of skipped) log(`plan: not serving ${tier}: ${reason}`);
  models?.want(fetch);
  const waiting = planned.filter((tier) => !serve.includes(tier));
  if (waiting.length > 0) log(`plan: ${waiting.join(', ')} joins once its model is ready`);
  await parts.ledger?.join(parts.p2p.libp2p, region);
  await membership.join({ region, serve, watch: [...known] }, { signal: options.signal });
  options.membershipJoined();
  await routing?.serve(region, serve);
  log(
    `join: ${region} serving ${serve.length > 0 ? serve.join(', ') : 'no tier'}; watching ${[...known].join(', ')}`,
  );
}
