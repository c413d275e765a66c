// The composition root (DESIGN.md §3–§4): builds the node's services, runs onboarding
// (identity → profile → p2p → geo → qualify → join → heartbeat → ready), stops them in reverse order, and
// reports one status union. A failed start stops whatever already started. Its faces (the local API, the UI
// contract) sit above it in local-api/ and reach it only through RunningNode.
import { TypedEventEmitter } from '@libp2p/interface';
import { ensureDataDir } from './storage/data-dir.ts';
import type { ModelState } from '../../src-shared/ipc/models.ts';
import type { NetworkConfig } from '../../src-shared/network-config/index.ts';
import type { RegionDecision, RegionId } from '../../src-shared/regions/index.ts';
import type { ResourceProfile, TierQualification } from '../../src-shared/tiers/index.ts';
import type { GeoService } from './geo/geo-service.ts';
import type { IdentityService } from './identity/identity-service.ts';
import { locationsFor, type Locations } from './locations.ts';
import type { MembershipService } from './membership/membership-service.ts';
import type { P2pService } from './p2p/p2p-service.ts';
import { ProfileService } from './profile/profile-service.ts';
import type { RoutingService } from './routing/routing-service.ts';
import { ModelsService } from './models/models-service.ts';
import type { WeightsService } from './weights/weights-service.ts';
import { startNodeWeights } from './node-weights.ts';
import type { ChatGateway } from './routing/chat-gateway.ts';
import { routingInitWithCaps, type EngineServer, type NodeSettings } from './settings/node-settings.ts';
import { NodeSettingsActions } from './settings/node-settings-actions.ts';
import type { TierEngineChoice } from './routing/tier-engines.ts';
import { NodeSettingsStore, type NodeSettingsPatch } from './settings/node-settings-store.ts';
import { loadNodeNetworkConfig } from './network-config/load-node-network-config.ts';
import type { NodeLedger } from './ledger/node-ledger.ts';
import { startClusterServices } from './node-clusters.ts';
import { joinRegion, leaveRegion, type RegionJoinParts } from './node-region-join.ts';
import { startNodeAccount } from './node-account.ts';
import { startNodeNetwork } from './node-network.ts';
import { PeerPenalties } from './p2p/peer-penalties.ts';
import { readFirstRun } from './onboarding/first-run-record.ts';
import { isAlone, lookingForPeers, type BootstrapPlan } from './looking-for-peers.ts';
import { statusReport } from './node-report.ts';
import type { NodeOptions, NodeServicesForTests } from './node-options.ts';
import type { LedgerService } from './ledger/ledger-service.ts';
import type { NodeStatus, NodeStatusReport, OnboardingStepId } from './node-status.ts';
import type { RunningNode, RunningNodeEvents } from './running-node.ts';
import { StartedParts } from './startable.ts';
import { DataDirLock } from './storage/data-dir-lock.ts';

export type { NodeStatus, NodeStatusReport, OnboardingStepId } from './node-status.ts';
export type { RunningNode, RunningNodeEvents } from './running-node.ts';
export { NodeAlreadyRunningError, NodeNotStartedError } from './node-errors.ts';
export { isPrivateAddress } from './p2p/private-address.ts';
// The desktop app starts the built-in engine's host on Electron's utilityProcess (security finding 19).
export type { HostLauncher } from './engine/builtin/host-launcher.ts';
export { portedHost, type PortedChild } from './engine/builtin/ported-host.ts';

export type { NodeEvents, NodeOptions, NodeServicesForTests } from './node-options.ts';

export class OpenGatewayNode extends TypedEventEmitter<RunningNodeEvents> implements RunningNode {
  readonly locations: Locations;
  readonly #options: NodeOptions;
  readonly #log: (line: string) => void;
  readonly #started = new StartedParts();
  readonly #settings: NodeSettingsStore;
  readonly #actions: NodeSettingsActions;
  #lock: DataDirLock | null = null;
  #status: NodeStatus = { status: 'starting' };
  #config: NetworkConfig | null = null;
  #identity: IdentityService | null = null;
  #p2p: P2pService | null = null;
  #geo: GeoService | null = null;
  #profile: ProfileService | null = null;
  #membership: MembershipService | null = null;
  #routing: RoutingService | null = null;
  #models: ModelsService | null = null;
  #weights: WeightsService | null = null;
  /** Gossip score points peers lost outside gossip (the weights service's corrupt providers). */
  readonly #penalties = new PeerPenalties();
  #ledger: NodeLedger | null = null;
  #tiers: TierQualification[] = [];
  #stopping = false;
  #bootstrap: BootstrapPlan = { dialled: [], skipped: [] };

  constructor(options: NodeOptions) {
    super();
    this.#options = options;
    this.locations = locationsFor(options.dataDir);
    this.#settings = new NodeSettingsStore(this.locations.settings);
    this.#log = options.log ?? (() => {});
    this.#actions = new NodeSettingsActions({
      store: this.#settings,
      config: () => this.#config,
      geo: () => this.#geo,
      routing: () => this.#routing,
      weights: () => this.#weights,
      uploadCapFixed: options.weights?.uploadBytesPerSecond !== undefined,
      rejoin: async () => {
        const region = this.#membership?.plan?.region ?? null;
        if (region !== null && !this.#stopping) await this.#join(region, undefined);
      },
    });
  }

  get status(): NodeStatus {
    return this.#status;
  }

  get networkConfig(): NetworkConfig | null {
    return this.#config;
  }

  get chatGateway(): ChatGateway | null {
    return this.#routing?.gateway ?? null;
  }

  /** This node's ledger (balance, history, blocks); null until it started. */
  get ledger(): LedgerService | null {
    return this.#ledger?.service ?? null;
  }

  /** What this machine has (null until the first scan). */
  get profile(): ResourceProfile | null {
    return this.#profile?.profile ?? null;
  }

  /** The services themselves, for tests and benches (faces use RunningNode instead). */
  servicesForTests(): NodeServicesForTests {
    return {
      p2p: this.#p2p,
      membership: this.#membership,
      routing: this.#routing,
      ledger: this.ledger,
      nodeLedger: this.#ledger,
      models: this.#models,
      weights: this.#weights,
    };
  }

  engineLog(clusterId: string): readonly string[] {
    return this.#routing?.engines.get(clusterId)?.recentLog ?? [];
  }

  setRegion(region: RegionId | null): Promise<RegionDecision> {
    return this.#actions.setRegion(region);
  }

  settings(): Promise<NodeSettings> {
    return this.#actions.read();
  }

  updateSettings(patch: NodeSettingsPatch): Promise<NodeSettings> {
    return this.#actions.update(patch);
  }

  setTierEngine(tier: string, choice: TierEngineChoice): Promise<NodeSettings> {
    return this.#actions.setTierEngine(tier, choice);
  }

  setEngineServer(server: EngineServer | null): Promise<NodeSettings> {
    return this.#actions.setEngineServer(server);
  }

  async claimDataDir(): Promise<void> {
    if (this.#lock !== null) return;
    await ensureDataDir(this.locations.dataDir);
    this.#lock = DataDirLock.acquire(this.locations.instanceLock, this.locations.dataDir);
  }

  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    try {
      await this.#start(options.signal);
    } catch (error) {
      this.#setStatus({ status: 'error', message: error instanceof Error ? error.message : String(error) });
      await this.#stopStarted();
      throw error;
    }
  }

  async #start(signal: AbortSignal | undefined): Promise<void> {
    const options = this.#options;
    const locations = this.locations;
    await this.claimDataDir();

    this.#step('identity');
    this.#config = await loadNodeNetworkConfig(this.locations.networkConfig, this.#options.networkConfigPath);
    const config0 = this.#config;
    const { identity, ledger } = await startNodeAccount({
      options,
      locations,
      config: this.#config,
      started: this.#started,
      log: this.#log,
    });
    this.#identity = identity;
    this.#ledger = ledger;
    const stored = await this.#settings.stored();
    signal?.throwIfAborted();

    // The models the node serves: the cache is read now; downloads start once the node knows its tiers.
    const models = await this.#started.start(
      new ModelsService(
        { locations, config: () => this.#config ?? config0 },
        { log: this.#log, ...options.models },
      ),
    );
    this.#models = models;
    models.addEventListener('model:state', (event) =>
      this.#onModelState(event.detail.tier, event.detail.state),
    );

    this.#step('profile');
    const profile = new ProfileService({ locations }, options.profile);
    await profile.start({ signal });
    this.#profile = profile;
    this.#started.add(profile);

    this.#step('geo');
    const { p2p, geo, bootstrap } = await startNodeNetwork({
      options,
      locations,
      config: this.#config,
      identity,
      ledger,
      penalties: this.#penalties,
      // A --region given now wins; otherwise the choice the user made in the UI last time.
      override: options.region ?? stored?.regionOverride ?? null,
      started: this.#started,
      log: this.#log,
      ...(signal ? { signal } : {}),
      onConfigUpdated: (config) => {
        this.#config = config;
        void this.#models?.refresh();
      },
      stopping: () => this.#stopping,
    });
    this.#p2p = p2p;
    this.#geo = geo;
    this.#bootstrap = bootstrap;
    await startNodeWeights({
      options,
      locations,
      libp2p: p2p.libp2p,
      models,
      stored,
      started: this.#started,
      penalties: this.#penalties,
      region: geo.decision.region,
      onRunning: (weights) => (this.#weights = weights),
    });
    // Finding or losing every peer moves between "contributing" and "looking for peers" (not an error).
    p2p.addEventListener('peer:connect', () => {
      if (this.#status.status === 'looking-for-peers') this.#setReady();
    });
    p2p.addEventListener('peer:disconnect', () => {
      if (this.#status.status === 'ready' && p2p.connectionCount() === 0) this.#setReady();
    });
    const decision = geo.decision;
    this.#log(`geo: region ${decision.region ?? 'unknown'} (${decision.source}: ${decision.detail})`);

    this.#step('qualify');
    this.#tiers = profile.qualify(this.#config.tiers);
    for (const tier of this.#tiers) {
      this.#log(
        `qualify: ${tier.tier} ${tier.qualified ? 'qualified' : `not qualified: ${tier.reasons.join('; ')}`}`,
      );
    }

    this.#step('join');
    const config = this.#config;
    const { membership, routing } = await startClusterServices({
      options,
      libp2p: p2p.libp2p,
      locations,
      config: () => this.#config ?? config,
      ledger,
      // The built-in engine loads the files the models service verified.
      routing: routingInitWithCaps({ modelSource: models, ...options.routing }, stored, profile.profile),
      started: this.#started,
      log: this.#log,
      onMemberChange: (change) => this.safeDispatchEvent('member-change', { detail: change }),
      onEngineState: (detail) => this.safeDispatchEvent('engine:state', { detail }),
    });
    this.#membership = membership;
    this.#routing = routing;
    geo.addEventListener('region:changed', (event) => {
      this.safeDispatchEvent('region', { detail: event.detail });
      void this.#onRegionChanged(event.detail);
    });
    await this.#join(decision.region, signal);
    // Consent from the welcome (first-run.json): declined, or not given yet where the UI must ask first.
    const consent = await readFirstRun(locations.dataDir);
    if (consent.contribute === false || (options.requireConsent === true && !consent.completed)) {
      this.#log('contributing: paused until the user agrees (first run)');
      await this.pause('user');
    }
  }

  /** Pause contributing: members see "paused" at once; requesting keeps working. */
  async pause(reason: 'user' | 'waiting-for-idle' = 'user'): Promise<void> {
    await this.#membership?.pause();
    await this.#routing?.setPaused(true);
    this.#models?.setPaused(true);
    this.#setStatus({ status: 'paused', reason, since: Date.now() });
  }

  async resume(): Promise<void> {
    this.#models?.setPaused(false);
    await this.#routing?.setPaused(false);
    await this.#membership?.resume();
    this.#setReady();
  }

  /** Leave the clusters (announced), close connections, stop every service in reverse order. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#log('stopping: leaving clusters and closing connections');
    await this.#stopStarted();
    this.#log('stopped');
  }

  report(): NodeStatusReport {
    return statusReport({
      version: this.#options.version ?? '0.0.0',
      peerId: this.#identity ? this.#identity.peerId.toString() : null,
      config: this.#config,
      status: this.#status,
      geo: this.#geo,
      p2p: this.#p2p,
      tiers: this.#tiers,
      membership: this.#membership,
      routing: this.#routing,
      models: this.#models,
    });
  }

  async #join(region: RegionId | null, signal: AbortSignal | undefined): Promise<void> {
    const membership = this.#membership;
    const config = this.#config;
    if (membership === null || config === null) return;
    // Model files are found and offered within the region (issue 14).
    this.#weights?.setRegion(region);
    const parts: RegionJoinParts = {
      config,
      p2p: this.#p2p!,
      bootstrap: this.#bootstrap,
      membership,
      routing: this.#routing,
      ledger: this.#ledger,
      models: this.#models,
      profile: this.#profile?.profile ?? null,
      tiers: this.#tiers,
      options: this.#options,
      settings: this.#settings,
      log: this.#log,
    };
    if (region === null) return this.#setStatus(await leaveRegion(parts));
    await joinRegion(parts, region, {
      signal,
      membershipJoined: () => {
        if (this.#status.status === 'onboarding') this.#step('engines');
      },
    });
    this.#step('heartbeat');
    if (this.#status.status !== 'paused') this.#setReady();
  }

  /** A model that became ready lets its tier join; the change is published to the faces. */
  #onModelState(tier: string, state: ModelState): void {
    this.safeDispatchEvent('model:state', { detail: { tier, state } });
    if (state.status !== 'ready' || this.#stopping) return;
    const region = this.#membership?.plan?.region ?? null;
    if (region === null || this.#membership?.plan?.serve.includes(tier)) return;
    void this.#join(region, undefined).catch((error: unknown) =>
      this.#log(`join: serving ${tier} after its model became ready failed: ${String(error)}`),
    );
  }

  async #onRegionChanged(decision: RegionDecision): Promise<void> {
    const current = this.#membership?.plan?.region ?? null;
    this.#log(`geo: region now ${decision.region ?? 'unknown'} (${decision.source}: ${decision.detail})`);
    if (decision.region === current || this.#stopping) return;
    try {
      await this.#join(decision.region, undefined);
    } catch (error) {
      this.#log(`join: re-joining after the region changed failed: ${String(error)}`);
    }
  }

  #setReady(): void {
    if (isAlone(this.#p2p, this.#bootstrap))
      return this.#setStatus(lookingForPeers(this.#p2p, this.#bootstrap));
    const serving = this.#membership?.plan?.serve.length ?? 0;
    this.#setStatus({ status: 'ready', clusters: serving, since: Date.now() });
  }

  #step(step: OnboardingStepId): void {
    this.#setStatus({ status: 'onboarding', step });
  }

  #setStatus(status: NodeStatus): void {
    this.#status = status;
    this.safeDispatchEvent('status', { detail: status });
  }

  async #stopStarted(): Promise<void> {
    await this.#started.stopAll((error) =>
      this.#log(`stop: a service failed to stop cleanly: ${String(error)}`),
    );
    this.#lock?.release();
    this.#lock = null;
  }
}
