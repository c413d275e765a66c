// The cluster part of onboarding: membership (sampled views of the region's clusters, SWIM probes) and routing
// (the engines, the infer protocol as worker and requester, the chat gateway), with their events logged and
// handed to the node. Both join the node's started parts, so they stop in reverse with the rest.
import type { OgLibp2p } from './p2p/p2p-service.ts';
import type { NetworkConfig } from '../../src-shared/network-config/index.ts';
import type { ResourceProfile, TierQualification } from '../../src-shared/tiers/index.ts';
import type { ModelSource } from './engine/builtin/model-source.ts';
import type { ModelsService } from './models/models-service.ts';
import { planServing, type ServingPlan } from './models/serving-plan.ts';
import type { NodeSettings } from './settings/node-settings.ts';
import type { EngineState } from './engine/engine.ts';
import type { NodeLedger } from './ledger/node-ledger.ts';
import type { Locations } from './locations.ts';
import { MembershipService } from './membership/membership-service.ts';
import type { MemberChange } from './membership/member-change.ts';
import {
  describeEngineState,
  describeMemberChange,
  describeRejectedMembershipMessage,
} from './node-log-lines.ts';
import type { NodeOptions } from './node-options.ts';
import { RoutingService, type RoutingInit } from './routing/routing-service.ts';
import type { StartedParts } from './startable.ts';

export interface ClusterServicesInit {
  readonly options: NodeOptions;
  readonly libp2p: OgLibp2p;
  readonly locations: Locations;
  readonly config: () => NetworkConfig;
  readonly ledger: NodeLedger;
  /** The routing options with the contributor's caps applied. */
  readonly routing: RoutingInit;
  readonly started: StartedParts;
  readonly log: (line: string) => void;
  readonly onMemberChange: (change: MemberChange) => void;
  readonly onEngineState: (detail: { readonly clusterId: string; readonly state: EngineState }) => void;
}

export async function startClusterServices(
  init: ClusterServicesInit,
): Promise<{ readonly membership: MembershipService; readonly routing: RoutingService }> {
  const { options, log } = init;
  const membership = await init.started.start(
    new MembershipService(
      { libp2p: init.libp2p },
      {
        version: options.version ?? '0.0.0',
        ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
      },
    ),
  );
  membership.addEventListener('member-change', (event) => {
    log(describeMemberChange(event.detail));
    init.onMemberChange(event.detail);
  });
  membership.addEventListener('message-rejected', (event) =>
    log(describeRejectedMembershipMessage(event.detail)),
  );
  const routing = await init.started.start(
    new RoutingService(
      {
        libp2p: init.libp2p,
        membership,
        locations: init.locations,
        config: init.config,
        payments: init.ledger.payments,
      },
      init.routing,
    ),
  );
  routing.addEventListener('engine:state', (event) => {
    log(describeEngineState(event.detail.clusterId, event.detail.state));
    init.onEngineState(event.detail);
  });
  return { membership, routing };
}

export interface NodeServingInput {
  readonly config: NetworkConfig;
  readonly profile: ResourceProfile | null;
  readonly qualified: readonly TierQualification[];
  /** Tiers served whatever the profile says (--serve-tier). */
  readonly forced: readonly string[];
  readonly models: ModelsService | null;
  /** The engine each tier is served with (per-tier choices included). */
  readonly engineFor: (tier: string) => 'builtin' | 'exo' | 'openai';
  /** A model source handed over (tests, benchmarks) instead of the models service: nothing is downloaded. */
  readonly givenModels?: ModelSource;
  readonly stored: NodeSettings | null;
}

/** The tiers to serve now and the ones waiting for a model (the built-in engine serves only ready ones). */
export async function planNodeServing(input: NodeServingInput): Promise<ServingPlan> {
  const { profile, models, forced, givenModels } = input;
  // Before the profile and the models exist, the forced tiers are the whole plan.
  if (!profile || !models) return { serve: [...forced], planned: [...forced], fetch: [], skipped: [] };
  const plan = await planServing({
    config: input.config,
    profile,
    qualified: input.qualified,
    forced,
    engineFor: input.engineFor,
    models,
    ...(givenModels ? { isReady: (tier: string) => givenModels.fileFor(tier) !== null } : {}),
    ...(input.stored ? { gpuShare: input.stored.gpuMemoryShare } : {}),
  });
  return givenModels ? { ...plan, fetch: [] } : plan;
}
