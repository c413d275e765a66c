// How the node's own report reads in the ipc contract's shapes: region, resources, clusters, members,
// engines, onboarding steps and chat models. Pure functions of the report, so every view is testable alone.
import type {
  ChatModel,
  ClusterMember,
  ClusterView,
  Engines,
  EngineState as UiEngineState,
  OnboardingStep,
  OnboardingStepId,
  RegionInfo,
  RegionSource,
  ResourceProfile as UiResourceProfile,
  Resources,
} from '../../../../src-shared/ipc/index.ts';
import { ONBOARDING_STEP_IDS, type TierModel } from '../../../../src-shared/ipc/index.ts';
import { servedTiersOf, type NetworkConfig } from '../../../../src-shared/network-config/index.ts';
import { REGION_LABELS, type RegionDecision } from '../../../../src-shared/regions/index.ts';
import { machineSizes, type ResourceProfile } from '../../../../src-shared/tiers/index.ts';
import type { EngineState } from '../../engine/engine.ts';
import type { ClusterSnapshot, MemberSnapshot } from '../../membership/membership-service.ts';
import type { NodeStatusReport } from '../../node-status.ts';

const TIER_ID = /^model-[a-z]$/;

/** "12D3…x9Qa": enough to tell members apart, short enough for a table cell. */
export function shortPeerId(peerId: string): string {
  return peerId.length <= 12 ? peerId : `${peerId.slice(0, 4)}…${peerId.slice(-4)}`;
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

export function regionInfoOf(decision: RegionDecision | null): RegionInfo {
  if (decision === null) return { region: null, source: 'unknown', country: null, detail: null };
  // An address typed on the command line is the operator's choice, like an override.
  const source: RegionSource = decision.source === 'ip-argument' ? 'override' : decision.source;
  const country = decision.country !== null && /^[A-Z]{2}$/.test(decision.country) ? decision.country : null;
  return {
    region: decision.region,
    source,
    country,
    detail: decision.detail ? clip(decision.detail, 300) : null,
    verified: decision.verified,
    vpnSuspected: decision.vpnSuspected,
  };
}

export function resourcesOf(
  profile: ResourceProfile | null,
  report: NodeStatusReport,
  config: NetworkConfig | null,
): Resources {
  const examples = new Map((config?.tiers ?? []).map((tier) => [tier.id, tier.exampleModels]));
  return {
    profile: profile === null ? null : uiProfileOf(profile),
    tiers: report.tiers
      .filter((tier) => TIER_ID.test(tier.tier))
      .slice(0, 16)
      .map((tier) => ({
        tier: tier.tier,
        label: clip(tier.label, 60),
        examples: (examples.get(tier.tier) ?? []).slice(0, 8).map((name) => clip(name, 80)),
        qualified: tier.qualified,
        reasons: tier.reasons.slice(0, 8).map((reason) => clip(reason, 200)),
      })),
  };
}

function uiProfileOf(profile: ResourceProfile): UiResourceProfile {
  const sizes = machineSizes(profile);
  const gpu = profile.gpus.find((candidate) => candidate.model === sizes.gpuModel) ?? null;
  return {
    cpuModel: clip(profile.cpu.model || 'unknown CPU', 200),
    cpuCores: Math.min(4096, sizes.cpuCores),
    ramGb: sizes.ramGb,
    gpu:
      gpu === null
        ? null
        : {
            name: clip(gpu.model, 200),
            memoryGb: sizes.gpuMemoryGb,
            unifiedMemory: gpu.memory.kind === 'unified',
          },
    diskFreeGb: sizes.freeDiskGb,
    os: clip(profile.platform, 100),
  };
}

/** The node's engine as the UI names it: a devnet's simulator is never shown as a real engine. */
export function engineViewOf(
  state: EngineState | undefined,
  kind: NodeStatusReport['engine'],
  paused: boolean,
): UiEngineState {
  const shown = kind === null ? 'exo' : kind.simulated ? 'simulator' : kind.kind;
  if (state === undefined)
    return {
      kind: shown,
      state: 'stopped',
      model: null,
      detail: paused ? 'stopped while contributing is paused' : null,
    };
  switch (state.status) {
    case 'absent':
      return { kind: shown, state: 'stopped', model: null, detail: clip(state.reason, 500) };
    case 'starting':
      return {
        kind: shown,
        state: 'starting',
        model: null,
        detail: state.detail ? clip(state.detail, 500) : null,
      };
    case 'loading':
      return {
        kind: shown,
        state: 'loading',
        model: null,
        detail: `${state.phase} (${Math.round(state.progress * 100)}%)`,
      };
    case 'ready':
      return {
        kind: shown,
        state: 'ready',
        model: state.models[0] ? clip(state.models[0], 200) : null,
        detail: null,
      };
    case 'failed':
      return { kind: shown, state: 'crashed', model: null, detail: clip(state.reason, 500) };
    case 'stopped':
      return { kind: shown, state: 'stopped', model: null, detail: null };
  }
}

function isLive(member: MemberSnapshot): boolean {
  return member.status !== 'down';
}

function hasFreeCapacity(member: MemberSnapshot): boolean {
  return member.status === 'up' && member.engine === 'ready' && member.load < member.capacity;
}

/** The clusters this node serves: joined while contributing, left while paused. */
export function clustersOf(report: NodeStatusReport, config: NetworkConfig | null): ClusterView[] {
  const labels = new Map((config?.tiers ?? []).map((tier) => [tier.id, tier.label]));
  const paused = report.state.status === 'paused';
  const joining = report.state.status === 'onboarding';
  return report.clusters
    .filter((cluster) => cluster.serving && TIER_ID.test(cluster.cluster.tier))
    .slice(0, 64)
    .map((cluster) => ({
      id: cluster.key,
      region: cluster.cluster.region,
      tier: cluster.cluster.tier,
      label: clip(labels.get(cluster.cluster.tier) ?? cluster.cluster.tier, 60),
      membership: paused ? 'left' : joining ? 'joining' : 'joined',
      members: cluster.members.filter(isLive).length,
      readyMembers: cluster.members.filter(hasFreeCapacity).length,
      engine: engineViewOf(report.engines[cluster.key], report.engine, paused),
    }));
}

export function clusterMembersOf(cluster: ClusterSnapshot): ClusterMember[] {
  return cluster.members
    .filter(isLive)
    .slice(0, 500)
    .map((member) => ({
      peer: shortPeerId(member.peerId),
      self: member.self,
      state:
        member.status === 'paused'
          ? 'paused'
          : member.engine !== 'ready'
            ? 'loading'
            : member.load >= member.capacity
              ? 'busy'
              : 'ready',
      load: member.capacity > 0 ? Math.min(1, Math.max(0, member.load / member.capacity)) : 0,
      // Round-trip times are not measured per member yet: unknown, not zero.
      rttMs: null,
    }));
}

/**
 * The onboarding checklist from where the node is now. `failedAt` is the step that was running when the
 * node went into `error`, if it did.
 */
export function onboardingOf(
  report: NodeStatusReport,
  profile: ResourceProfile | null,
  failedAt: OnboardingStepId | null,
): OnboardingStep[] {
  const state = report.state;
  const current =
    state.status === 'onboarding'
      ? ONBOARDING_STEP_IDS.indexOf(state.step)
      : state.status === 'error'
        ? failedAt === null
          ? -1
          : ONBOARDING_STEP_IDS.indexOf(failedAt)
        : state.status === 'starting'
          ? -1
          : ONBOARDING_STEP_IDS.length;
  return ONBOARDING_STEP_IDS.map((id, index) => {
    const stepState =
      state.status === 'starting' || (state.status === 'error' && current === -1)
        ? 'pending'
        : index < current
          ? 'done'
          : index === current
            ? state.status === 'error'
              ? 'failed'
              : 'running'
            : 'pending';
    const detail =
      stepState === 'failed' && state.status === 'error'
        ? clip(state.message, 500)
        : stepState === 'done'
          ? stepDetail(id, report, profile)
          : null;
    return { id, state: stepState, detail };
  });
}

function stepDetail(
  id: OnboardingStepId,
  report: NodeStatusReport,
  profile: ResourceProfile | null,
): string | null {
  switch (id) {
    case 'identity':
      return report.peerId ? `This computer is ${shortPeerId(report.peerId)} on the network` : null;
    case 'profile': {
      if (profile === null) return null;
      const sizes = machineSizes(profile);
      const gpu = sizes.gpuModel ? `, ${sizes.gpuModel} (${sizes.gpuMemoryGb} GB)` : ', no usable GPU';
      return clip(`${sizes.cpuCores} cores, ${sizes.ramGb} GB RAM${gpu}, ${sizes.freeDiskGb} GB free`, 500);
    }
    case 'geo':
      return report.region?.region
        ? clip(`${REGION_LABELS[report.region.region]} (${report.region.detail})`, 500)
        : 'Region unknown: choose one below';
    case 'qualify': {
      const qualified = report.tiers.filter((tier) => tier.qualified).map((tier) => tier.label);
      return qualified.length > 0
        ? clip(`Qualifies for ${qualified.join(', ')}`, 500)
        : 'No tier qualifies on this computer';
    }
    case 'join': {
      const serving = report.clusters.filter((cluster) => cluster.serving).length;
      return `${serving} ${serving === 1 ? 'cluster' : 'clusters'}`;
    }
    case 'engines':
      return report.engine === null
        ? null
        : report.engine.simulated
          ? 'Simulated engine (developer network: not real inference)'
          : report.engine.kind === 'exo'
            ? 'EXO'
            : report.engine.kind === 'builtin'
              ? 'Built-in llama.cpp'
              : 'Your OpenAI-compatible server';
    case 'heartbeat':
      return null;
  }
}

/** A servable model of the network's tier table, for the chat picker. */
export interface ModelOffer {
  readonly modelId: string;
  readonly tier: string;
  readonly label: string;
  readonly price: number;
  readonly examples: readonly string[];
}

/** The network's tiers as the chat picker offers them. */
export function modelOffersOf(config: NetworkConfig | null): ModelOffer[] {
  return servedTiersOf(config).map((tier) => ({
    modelId: tier.modelId,
    tier: tier.id,
    label: tier.label,
    price: tier.price,
    examples: tier.exampleModels,
  }));
}

/** Every tier of the network, available when a live member of the node's region has it ready. */
export function chatModelsOf(
  offers: readonly ModelOffer[],
  servable: ReadonlySet<string>,
  region: RegionDecision | null,
): ChatModel[] {
  const regionName = region?.region ? REGION_LABELS[region.region] : null;
  return offers
    .filter((offer) => TIER_ID.test(offer.tier) && offer.modelId.length > 0)
    .slice(0, 64)
    .map((offer) => {
      const available = regionName !== null && servable.has(offer.tier);
      const unavailableReason = available
        ? null
        : regionName === null
          ? 'This node does not know its region yet, so it cannot send requests.'
          : `No computer in ${regionName} serves ${offer.label} right now.`;
      return {
        id: clip(offer.modelId, 200),
        tier: offer.tier,
        label: clip(offer.examples[0] ? `${offer.label} (${offer.examples[0]})` : offer.label, 100),
        available,
        unavailableReason,
        pricePer1k: offer.price,
      };
    });
}

/** Each tier's model on this node, in the network's tier order (tiers the contract cannot name are left out). */
export function tierModelsOf(report: NodeStatusReport): TierModel[] {
  return Object.entries(report.models)
    .filter(([tier]) => /^model-[a-z]$/.test(tier))
    .map(([tier, state]) => ({ tier, state }));
}

/** Each network tier's engine, why, and the contributor's choice; with what Settings may offer. */
export function enginesOf(report: NodeStatusReport, config: NetworkConfig | null): Engines {
  const labels = new Map((config?.tiers ?? []).map((tier) => [tier.id, tier.label]));
  const serving = new Set(report.clusters.filter((c) => c.serving).map((c) => c.cluster.tier));
  const server = report.engineOptions?.server ?? null;
  return {
    tiers: Object.entries(report.tierEngines)
      .filter(([tier]) => TIER_ID.test(tier))
      .slice(0, 16)
      .map(([tier, view]) => ({
        tier,
        label: clip(labels.get(tier) ?? tier, 60),
        choice: view.choice,
        kind: view.simulated ? 'simulator' : view.kind,
        reason: clip(view.text, 200),
        serving: serving.has(tier),
        locked: view.lockedByCommandLine,
      })),
    exoInstalled: report.engineOptions?.exoInstalled ?? false,
    // A stored address that the contract could not carry is left out rather than cut.
    server:
      server !== null && server.baseUrl.length <= 500
        ? { baseUrl: server.baseUrl, model: server.model === null ? null : clip(server.model, 200) }
        : null,
  };
}
