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
import { GeoService, type GeoInit } from './geo/geo-service.ts';
import { IdentityService, type IdentityInit } from './identity/identity-service.ts';
import { locationsFor, type Locations } from './locations.ts';
import { MembershipService } from './membership/membership-service.ts';
import { NetworkChangeWatcher, type NetworkChangeWatcherInit } from './p2p/network-change-watcher.ts';
import type { P2pService } from './p2p/p2p-service.ts';
import { createNodeP2p, waitForBootstrap } from './p2p/node-p2p.ts';
import { ProfileService, type ProfileInit } from './profile/profile-service.ts';
import { RoutingService, type RoutingInit } from './routing/routing-service.ts';
import { ModelsService, type ModelsInit } from './models/models-service.ts';
import { planServing } from './models/serving-plan.ts';
import type { ChatGateway } from './routing/chat-gateway.ts';
import { routingInitWithCaps, type NodeSettings } from './settings/node-settings.ts';
import { NodeSettingsStore, type NodeSettingsPatch } from './settings/node-settings-store.ts';
import { loadNodeNetworkConfig } from './network-config/load-node-network-config.ts';
import { NodeNotStartedError } from './node-errors.ts';
import { NodeLedger, type NodeLedgerInit } from './ledger/node-ledger.ts';
import { ConfigUpdates } from './network-config/config-updates.ts';
import { feedGeoFromPeers } from './geo/feed-geo-from-peers.ts';
import {
  describeConfigUpdate,
  describeEngineState,
  describeMemberChange,
  describeRefusedConfig,
  describeRejectedHeartbeat,
} from './node-log-lines.ts';
import { ledgerParamsFromConfig } from './ledger/ledger-params-from-config.ts';
import type { LedgerService } from './ledger/ledger-service.ts';
import type { NodeStatus, NodeStatusReport, OnboardingStepId } from './node-status.ts';
import type { RunningNode, RunningNodeEvents } from './running-node.ts';
import { onStop, StartedParts } from './startable.ts';
import { DataDirLock } from './storage/data-dir-lock.ts';

export type { NodeStatus, NodeStatusReport, OnboardingStepId } from './node-status.ts';
export type { RunningNode, RunningNodeEvents } from './running-node.ts';
export { NodeAlreadyRunningError, NodeNotStartedError } from './node-errors.ts';
export { isPrivateAddress } from './p2p/private-address.ts';

export interface NodeOptions {
  readonly dataDir: string;
  /** A signed config to use (and store in the data dir); the stored copy otherwise. */
  readonly networkConfigPath?: string;
  readonly listen?: readonly string[];
  /** Extra bootstrap addresses beyond the network config's. */
  readonly bootstrap?: readonly string[];
  /** The user's region choice; wins over every evidence. */
  readonly region?: RegionId | null;
  /** Run the relay server and act as a well-connected bootstrap node. */
  readonly relay?: boolean;
  /** Serve these tiers whatever the profile says (devnets and tests, with the engine double). */
  readonly serveTiers?: readonly string[];
  /** Loopback/LAN network: private addresses count. Default: true when any address given is private. */
  readonly privateNetwork?: boolean;
  readonly heartbeatIntervalMs?: number;
  readonly missedHeartbeats?: number;
  /** How long onboarding waits for a first bootstrap connection before going on alone. */
  readonly bootstrapWaitMs?: number;
  readonly version?: string;
  readonly log?: (line: string) => void;
  /** Injected in tests. */
  readonly identity?: IdentityInit;
  readonly profile?: ProfileInit;
  readonly geo?: Omit<GeoInit, 'override'>;
  /** How network changes are noticed (tests inject interface lists). */
  readonly networkChange?: NetworkChangeWatcherInit;
  /** Engines, capacity and request routing (EXO found on the machine by default). */
  readonly routing?: RoutingInit;
  /** Model downloads (tests inject a full disk or short retries). */
  readonly models?: ModelsInit;
  /** Ledger timings (tests shorten them). */
  readonly ledger?: NodeLedgerInit;
  /**
   * Nothing leaves the machine: no DNS names resolved, no UPnP (build machines and tests).
   * Default: the environment variable OPENGATEWAY_LOCAL_ONLY=1.
   */
  readonly localOnly?: boolean;
}

/** The node's events (the same as every RunningNode's). */
export type NodeEvents = RunningNodeEvents;

/** The node's services, for tests and benches only: faces use RunningNode. */
export interface NodeServicesForTests {
  readonly p2p: P2pService | null;
  readonly membership: MembershipService | null;
  readonly routing: RoutingService | null;
  readonly ledger: LedgerService | null;
  readonly nodeLedger: NodeLedger | null;
}

export class OpenGatewayNode extends TypedEventEmitter<RunningNodeEvents> implements RunningNode {
  readonly locations: Locations;
  readonly #options: NodeOptions;
  readonly #log: (line: string) => void;
  readonly #started = new StartedParts();
  readonly #settings: NodeSettingsStore;
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
  #ledger: NodeLedger | null = null;
  #tiers: TierQualification[] = [];
  #stopping = false;
  /** Bootstrap addresses dialled, and those skipped in local-only mode (for "looking for peers"). */
  #bootstrap: { readonly dialled: readonly string[]; readonly skipped: readonly string[] } = {
    dialled: [],
    skipped: [],
  };

  constructor(options: NodeOptions) {
    super();
    this.#options = options;
    this.locations = locationsFor(options.dataDir);
    this.#settings = new NodeSettingsStore(this.locations.settings);
    this.#log = options.log ?? (() => {});
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
    };
  }

  engineLog(clusterId: string): readonly string[] {
    return this.#routing?.engines.get(clusterId)?.recentLog ?? [];
  }

  /** The user's region choice (null: detect it again); the node re-joins when the region changes. */
  async setRegion(region: RegionId | null): Promise<RegionDecision> {
    const geo = this.#geo;
    if (geo === null)
      throw new NodeNotStartedError('the node has not decided its region yet; try again shortly');
    await geo.setOverride(region);
    await this.#settings.update({ regionOverride: region });
    return geo.decision;
  }

  settings(): Promise<NodeSettings> {
    return this.#settings.read();
  }

  async updateSettings(patch: NodeSettingsPatch): Promise<NodeSettings> {
    const { previous, next } = await this.#settings.update(patch);
    // Applies at once; the GPU memory share reaches the engine when it next starts (the UI says so).
    if (next.maxConcurrentRequests !== previous.maxConcurrentRequests)
      this.#routing?.setCapacityPerTier(next.maxConcurrentRequests);
    return next;
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
    const identity = await this.#started.start(
      new IdentityService(
        { locations },
        { fingerprintSalt: this.#config.fingerprintSalt, ...options.identity },
      ),
    );
    this.#identity = identity;
    this.#log(`identity: peer id ${identity.peerId.toString()}${identity.created ? ' (new)' : ''}`);
    this.#log(`network: ${this.#config.networkId} (revision ${this.#config.revision})`);

    const ledger = await this.#started.start(
      new NodeLedger(
        {
          identity,
          params: ledgerParamsFromConfig(this.#config),
          dbPath: locations.ledgerDb,
          log: this.#log,
        },
        options.ledger,
      ),
    );
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

    const localOnly = options.localOnly ?? process.env.OPENGATEWAY_LOCAL_ONLY === '1';
    const { p2p, bootstrap, skipped } = createNodeP2p({
      config: this.#config,
      privateKey: identity.privateKey,
      peerId: identity.peerId.toString(),
      ...(options.listen ? { listen: options.listen } : {}),
      bootstrap: options.bootstrap ?? [],
      relay: options.relay ?? false,
      ...(options.privateNetwork !== undefined ? { privateNetwork: options.privateNetwork } : {}),
      reputation: (peerId) => ledger.payments.requester.reputation(peerId),
      localOnly,
    });
    this.#bootstrap = { dialled: bootstrap, skipped };
    for (const address of skipped) this.#log(`p2p: not resolving ${address} (OPENGATEWAY_LOCAL_ONLY=1)`);
    this.#step('geo');
    this.#p2p = await this.#started.start(p2p);
    this.#log(`p2p: listening on ${p2p.listenAddresses().join(' ') || '(relay only)'}`);
    // Finding or losing every peer moves between "contributing" and "looking for peers" (not an error).
    p2p.addEventListener('peer:connect', () => {
      if (this.#status.status === 'looking-for-peers') this.#setReady();
    });
    p2p.addEventListener('peer:disconnect', () => {
      if (this.#status.status === 'ready' && p2p.connectionCount() === 0) this.#setReady();
    });
    // The ledger's gossip and sync leave before libp2p stops (its store closes later, with the ledger).
    this.#started.add(onStop(() => ledger.leave()));

    // Newer signed configs (higher revision, signed by the founders) replace the stored one.
    const configUpdates = await this.#started.start(
      new ConfigUpdates({ libp2p: p2p.libp2p, locations }, { current: this.#config }),
    );
    configUpdates.addEventListener('config:updated', (event) => {
      this.#config = event.detail.config;
      this.#log(describeConfigUpdate(event.detail));
      void this.#models?.refresh();
    });
    configUpdates.addEventListener('config:refused', (event) => {
      if (event.detail.penalised) this.#log(describeRefusedConfig(event.detail));
    });

    // A --region given now wins; otherwise the choice the user made in the UI last time.
    const override = options.region ?? stored?.regionOverride ?? null;
    const geo = await this.#started.start(new GeoService({ locations }, { ...options.geo, override }));
    this.#geo = geo;
    await feedGeoFromPeers(p2p, geo, this.#log);
    const watcher = new NetworkChangeWatcher(options.networkChange);
    watcher.addEventListener('change', (event) => {
      void this.#onNetworkChanged(event.detail);
    });
    await this.#started.start(watcher);
    await waitForBootstrap(p2p, bootstrap.length, {
      waitMs: options.bootstrapWaitMs ?? 5000,
      log: this.#log,
      ...(signal ? { signal } : {}),
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
    const membership = await this.#started.start(
      new MembershipService(
        { libp2p: p2p.libp2p },
        {
          version: options.version ?? '0.0.0',
          ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
          ...(options.missedHeartbeats ? { missedHeartbeats: options.missedHeartbeats } : {}),
        },
      ),
    );
    this.#membership = membership;
    membership.addEventListener('member-change', (event) => {
      this.#log(describeMemberChange(event.detail));
      this.safeDispatchEvent('member-change', { detail: event.detail });
    });
    membership.addEventListener('heartbeat-rejected', (event) =>
      this.#log(describeRejectedHeartbeat(event.detail)),
    );
    const config = this.#config;
    const routing = await this.#started.start(
      new RoutingService(
        {
          libp2p: p2p.libp2p,
          membership,
          locations,
          config: () => this.#config ?? config,
          payments: ledger.payments,
        },
        // The contributor's caps from the UI apply where the command line set none.
        routingInitWithCaps(options.routing, stored, profile.profile),
      ),
    );
    this.#routing = routing;
    routing.addEventListener('engine:state', (event) => {
      this.#log(describeEngineState(event.detail.clusterId, event.detail.state));
      this.safeDispatchEvent('engine:state', { detail: event.detail });
    });
    geo.addEventListener('region:changed', (event) => {
      this.safeDispatchEvent('region', { detail: event.detail });
      void this.#onRegionChanged(event.detail);
    });
    await this.#join(decision.region, signal);
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
    const p2p = this.#p2p?.isStarted ? this.#p2p : null;
    return {
      version: this.#options.version ?? '0.0.0',
      peerId: this.#identity ? this.#identity.peerId.toString() : null,
      networkId: this.#config?.networkId ?? null,
      state: this.#status,
      region: this.#geo ? this.#geo.decision : null,
      listenAddresses: p2p ? p2p.listenAddresses() : [],
      connections: p2p ? p2p.connectionCount() : 0,
      tiers: this.#tiers,
      clusters: this.#membership?.snapshot() ?? [],
      engines: this.#routing?.engineStates() ?? {},
      engine: this.#routing?.engineKind ?? null,
      models: this.#models?.states() ?? {},
      rejectedHeartbeats: this.#membership?.rejectedCount ?? 0,
    };
  }

  async #join(region: RegionId | null, signal: AbortSignal | undefined): Promise<void> {
    const membership = this.#membership;
    const config = this.#config;
    if (membership === null || config === null) return;
    if (region === null) {
      await this.#ledger?.join(this.#p2p!.libp2p, null);
      await membership.leave();
      await this.#routing?.serve(null, []);
      // Alone, the region cannot be known yet: the first peers will tell it (geo re-decides and re-joins).
      if (this.#isAlone()) return this.#setStatus(this.#lookingForPeers());
      this.#setStatus({
        status: 'offline',
        message: 'the region is unknown: set one in settings (or --region)',
        retryAt: null,
      });
      return;
    }
    const known = new Set(config.tiers.map((tier) => tier.id));
    const { serve, planned, skipped } = await this.#planServing(config);
    for (const { tier, reason } of skipped) this.#log(`plan: not serving ${tier}: ${reason}`);
    this.#models?.want(planned);
    const waiting = planned.filter((tier) => !serve.includes(tier));
    if (waiting.length > 0) this.#log(`plan: ${waiting.join(', ')} joins once its model is ready`);
    await this.#ledger?.join(this.#p2p!.libp2p, region);
    await membership.join({ region, serve, watch: [...known] }, { signal });
    if (this.#status.status === 'onboarding') this.#step('engines');
    await this.#routing?.serve(region, serve);
    this.#log(
      `join: ${region} serving ${serve.length > 0 ? serve.join(', ') : 'no tier'}; watching ${[...known].join(', ')}`,
    );
    this.#step('heartbeat');
    if (this.#status.status !== 'paused') this.#setReady();
  }

  /** The tiers to serve now and the ones waiting for a model (the built-in engine serves only ready ones). */
  async #planServing(config: NetworkConfig) {
    const profile = this.#profile?.profile;
    const forced = this.#options.serveTiers ?? [];
    if (!profile || !this.#models) return { serve: [...forced], planned: [...forced], skipped: [] };
    const kind: string = this.#routing?.engineKind.kind ?? 'exo';
    const stored = await this.#settings.stored();
    return planServing({
      config,
      profile,
      qualified: this.#tiers,
      forced,
      engine: kind === 'builtin' ? 'builtin' : kind === 'openai' ? 'openai' : 'exo',
      models: this.#models,
      ...(stored ? { gpuShare: stored.gpuMemoryShare } : {}),
    });
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

  /** Old observations describe the old network: drop them and decide the region again (onboarding repeats). */
  async #onNetworkChanged(addresses: readonly string[]): Promise<void> {
    const p2p = this.#p2p;
    const geo = this.#geo;
    if (p2p === null || geo === null || this.#stopping) return;
    this.#log(`network: interfaces changed (${addresses.join(', ') || 'none'}); deciding the region again`);
    try {
      for (const peer of p2p.resetObservedAddresses()) await geo.forgetPeer(peer);
      await geo.redecide();
    } catch (error) {
      this.#log(`geo: deciding again after a network change failed: ${String(error)}`);
    }
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
    if (this.#isAlone()) {
      this.#setStatus(this.#lookingForPeers());
      return;
    }
    const serving = this.#membership?.plan?.serve.length ?? 0;
    this.#setStatus({ status: 'ready', clusters: serving, since: Date.now() });
  }

  /**
   * Has bootstrap nodes to reach and reaches no peer. A node with no bootstrap address at all (the first
   * node of a network, a lone test node) is the one others find: it is ready on its own.
   */
  #isAlone(): boolean {
    const { dialled, skipped } = this.#bootstrap;
    return (
      dialled.length + skipped.length > 0 &&
      this.#p2p !== null &&
      this.#p2p.isStarted &&
      this.#p2p.connectionCount() === 0
    );
  }

  /** What the node does to find peers, in words (the status a node alone shows instead of an error). */
  #lookingForPeers(): NodeStatus {
    const progress = this.#p2p?.bootstrapProgress() ?? { attempts: 0, nextAttemptAt: null };
    const { dialled, skipped } = this.#bootstrap;
    const tried = [
      ...dialled
        .slice(0, 8)
        .map(
          (address) =>
            `${address}: no answer yet${progress.attempts > 0 ? ` (${progress.attempts + 1} attempts)` : ''}`,
        ),
      ...skipped
        .slice(0, 7)
        .map((address) => `${address}: not looked up (local-only mode, OPENGATEWAY_LOCAL_ONLY=1)`),
    ];
    if (tried.length === 0) tried.push('no bootstrap node is configured: waiting for peers to connect');
    return {
      status: 'looking-for-peers',
      since: Date.now(),
      tried: tried.map((line) => line.slice(0, 300)),
      nextAttemptAt: dialled.length > 0 ? progress.nextAttemptAt : null,
    };
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
