// The composition root (DESIGN.md §3–§4): builds the node's services, runs onboarding
// (identity → profile → p2p → geo → qualify → join → heartbeat → ready), stops them in reverse order, and
// reports one status union. A failed start stops whatever already started.
import { fileURLToPath } from 'node:url';
import { TypedEventEmitter } from '@libp2p/interface';
import { ensureDataDir } from './storage/data-dir.ts';
import type { NetworkConfig } from '../../src-shared/network-config/index.ts';
import type { RegionDecision, RegionId } from '../../src-shared/regions/index.ts';
import type { ResourceProfile, TierQualification } from '../../src-shared/tiers/index.ts';
import type { ApiServer, ApiUpgradeHandler } from './api/api-server.ts';
import { readApiEndpoint } from './api/api-endpoint-file.ts';
import { startNodeApi } from './api/start-node-api.ts';
import { GeoService, type GeoInit } from './geo/geo-service.ts';
import { IdentityService, type IdentityInit } from './identity/identity-service.ts';
import { locationsFor, type Locations } from './locations.ts';
import { MembershipService } from './membership/membership-service.ts';
import type { MemberChange } from './membership/membership-view.ts';
import { NetworkChangeWatcher, type NetworkChangeWatcherInit } from './p2p/network-change-watcher.ts';
import type { P2pService } from './p2p/p2p-service.ts';
import { createNodeP2p, waitForBootstrap } from './p2p/node-p2p.ts';
import { ProfileService, type ProfileInit } from './profile/profile-service.ts';
import type { EngineState } from './engine/engine.ts';
import { RoutingService, type RoutingInit } from './routing/routing-service.ts';
import { createNodeContract, type NodeContract } from './ui-contract/node-contract.ts';
import { readNodeSettings, routingInitWithCaps } from './ui-contract/node-settings.ts';
import { nodeRoutes } from './api/node-routes.ts';
import { loadNodeNetworkConfig } from './network-config/load-node-network-config.ts';
import { NodeAlreadyRunningError, NodeNotStartedError } from './node-errors.ts';
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
import { ledgerApiRoute } from './ledger/ledger-api-route.ts';
import type { LedgerService } from './ledger/ledger-service.ts';
import type { NodeStatus, NodeStatusReport, OnboardingStepId } from './node-status.ts';

export type { NodeStatus, NodeStatusReport, OnboardingStepId } from './node-status.ts';
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
  /** Local API port; 0 picks a free one. */
  readonly apiPort?: number;
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
  /** Hands `/api/ws` upgrades to this handler instead of the node's own contract endpoint. */
  readonly wsUpgrade?: ApiUpgradeHandler;
  /** Who shows the UI: the desktop app adds idle-only mode, start at login and updates. Default headless. */
  readonly shell?: 'headless' | 'desktop';
  /** The built dashboard served at `/` of the local API (default: out/renderer-web of this checkout). */
  readonly dashboardDir?: string;
  /** Engines, capacity and request routing (EXO found on the machine by default). */
  readonly routing?: RoutingInit;
  /** Ledger timings (tests shorten them). */
  readonly ledger?: NodeLedgerInit;
  /**
   * Nothing leaves the machine: no DNS names resolved, no UPnP (build machines and tests).
   * Default: the environment variable OPENGATEWAY_LOCAL_ONLY=1.
   */
  readonly localOnly?: boolean;
}

export interface NodeEvents {
  status: CustomEvent<NodeStatus>;
  'member-change': CustomEvent<MemberChange>;
  'engine:state': CustomEvent<{ readonly clusterId: string; readonly state: EngineState }>;
  /** The region or how it was decided changed (a re-join follows when the region itself changed). */
  region: CustomEvent<RegionDecision>;
}

/** Where `npm run build` puts the browser build of the renderer. */
const DEFAULT_DASHBOARD_DIR = fileURLToPath(new URL('../../out/renderer-web', import.meta.url));

interface Stoppable {
  stop(): Promise<void>;
}

export class OpenGatewayNode extends TypedEventEmitter<NodeEvents> {
  readonly locations: Locations;
  /** The ipc contract over this node (served on `/api/ws`, and by the desktop app over Electron IPC). */
  readonly contract: NodeContract;
  readonly #options: NodeOptions;
  readonly #log: (line: string) => void;
  readonly #started: Stoppable[] = [];
  #status: NodeStatus = { status: 'starting' };
  #config: NetworkConfig | null = null;
  #identity: IdentityService | null = null;
  #p2p: P2pService | null = null;
  #geo: GeoService | null = null;
  #profile: ProfileService | null = null;
  #membership: MembershipService | null = null;
  #routing: RoutingService | null = null;
  #ledger: NodeLedger | null = null;
  #api: ApiServer | null = null;
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
    this.#log = options.log ?? (() => {});
    this.contract = createNodeContract(this, {
      shell: options.shell ?? 'headless',
      onInternalError: (error, what) => this.#log(`ui: ${what} failed: ${String(error)}`),
    });
  }

  get status(): NodeStatus {
    return this.#status;
  }

  get networkConfig(): NetworkConfig | null {
    return this.#config;
  }

  get p2p(): P2pService | null {
    return this.#p2p;
  }

  get membership(): MembershipService | null {
    return this.#membership;
  }

  get routing(): RoutingService | null {
    return this.#routing;
  }

  get api(): ApiServer | null {
    return this.#api;
  }

  /** This node's ledger (balance, history, blocks); null until it started. */
  get ledger(): LedgerService | null {
    return this.#ledger?.service ?? null;
  }

  /** The ledger with its network side and payments (tests wait for the account to open). */
  get nodeLedger(): NodeLedger | null {
    return this.#ledger;
  }

  /** What this machine has (null until the first scan). */
  get profile(): ResourceProfile | null {
    return this.#profile?.profile ?? null;
  }

  /** The user's region choice (null: detect it again); the node re-joins when the region changes. */
  async setRegion(region: RegionId | null): Promise<RegionDecision> {
    const geo = this.#geo;
    if (geo === null)
      throw new NodeNotStartedError('the node has not decided its region yet; try again shortly');
    await geo.setOverride(region);
    return geo.decision;
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
    await ensureDataDir(locations.dataDir);
    await this.#refuseSecondNode();

    this.#step('identity');
    this.#config = await loadNodeNetworkConfig(this.locations.networkConfig, this.#options.networkConfigPath);
    const identity = new IdentityService(
      { locations },
      { fingerprintSalt: this.#config.fingerprintSalt, ...options.identity },
    );
    await identity.start();
    this.#identity = identity;
    this.#started.push(identity);
    this.#log(`identity: peer id ${identity.peerId.toString()}${identity.created ? ' (new)' : ''}`);
    this.#log(`network: ${this.#config.networkId} (revision ${this.#config.revision})`);

    const ledger = new NodeLedger(
      {
        identity,
        params: ledgerParamsFromConfig(this.#config),
        dbPath: locations.ledgerDb,
        log: this.#log,
      },
      options.ledger,
    );
    await ledger.start();
    this.#ledger = ledger;
    this.#started.push(ledger);

    const stored = await readNodeSettings(locations.settings);
    const { api, stoppers } = await startNodeApi({
      locations,
      contract: this.contract,
      routes: new Map([
        ...nodeRoutes({ report: () => this.report(), gateway: () => this.#routing?.gateway }),
        ['GET /api/ledger', ledgerApiRoute(ledger.service)],
      ]),
      ...(options.wsUpgrade ? { wsUpgrade: options.wsUpgrade } : {}),
      dashboardDir: options.dashboardDir ?? DEFAULT_DASHBOARD_DIR,
      apiPort: options.apiPort ?? 0,
      log: this.#log,
    });
    this.#api = api;
    this.#started.push(...stoppers);
    signal?.throwIfAborted();

    this.#step('profile');
    const profile = new ProfileService({ locations }, options.profile);
    await profile.start({ signal });
    this.#profile = profile;
    this.#started.push(profile);

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
    await p2p.start();
    this.#p2p = p2p;
    this.#started.push(p2p);
    this.#log(`p2p: listening on ${p2p.listenAddresses().join(' ') || '(relay only)'}`);
    // Finding or losing every peer moves between "contributing" and "looking for peers" (not an error).
    p2p.addEventListener('peer:connect', () => {
      if (this.#status.status === 'looking-for-peers') this.#setReady();
    });
    p2p.addEventListener('peer:disconnect', () => {
      if (this.#status.status === 'ready' && p2p.connectionCount() === 0) this.#setReady();
    });
    // The ledger's gossip and sync leave before libp2p stops (its store closes later, with the ledger).
    this.#started.push({ stop: () => ledger.leave() });

    // Newer signed configs (higher revision, signed by the founders) replace the stored one.
    const configUpdates = new ConfigUpdates({ libp2p: p2p.libp2p, locations }, { current: this.#config });
    await configUpdates.start();
    this.#started.push(configUpdates);
    configUpdates.addEventListener('config:updated', (event) => {
      this.#config = event.detail.config;
      this.#log(describeConfigUpdate(event.detail));
    });
    configUpdates.addEventListener('config:refused', (event) => {
      if (event.detail.penalised) this.#log(describeRefusedConfig(event.detail));
    });

    // A --region given now wins; otherwise the choice the user made in the UI last time.
    const override = options.region ?? stored?.regionOverride ?? null;
    const geo = new GeoService({ locations }, { ...options.geo, override });
    await geo.start();
    this.#geo = geo;
    this.#started.push(geo);
    await feedGeoFromPeers(p2p, geo, this.#log);
    const watcher = new NetworkChangeWatcher(options.networkChange);
    watcher.addEventListener('change', (event) => {
      void this.#onNetworkChanged(event.detail);
    });
    await watcher.start();
    this.#started.push(watcher);
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
    const membership = new MembershipService(
      { libp2p: p2p.libp2p },
      {
        version: options.version ?? '0.0.0',
        ...(options.heartbeatIntervalMs ? { heartbeatIntervalMs: options.heartbeatIntervalMs } : {}),
        ...(options.missedHeartbeats ? { missedHeartbeats: options.missedHeartbeats } : {}),
      },
    );
    await membership.start();
    this.#membership = membership;
    this.#started.push(membership);
    membership.addEventListener('member-change', (event) => {
      this.#log(describeMemberChange(event.detail));
      this.safeDispatchEvent('member-change', { detail: event.detail });
    });
    membership.addEventListener('heartbeat-rejected', (event) =>
      this.#log(describeRejectedHeartbeat(event.detail)),
    );
    const config = this.#config;
    const routing = new RoutingService(
      {
        libp2p: p2p.libp2p,
        membership,
        locations,
        config: () => this.#config ?? config,
        payments: ledger.payments,
      },
      // The contributor's caps from the UI apply where the command line set none.
      routingInitWithCaps(options.routing, stored, profile.profile),
    );
    await routing.start();
    this.#routing = routing;
    this.#started.push(routing);
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
    this.#setStatus({ status: 'paused', reason, since: Date.now() });
  }

  async resume(): Promise<void> {
    await this.#routing?.setPaused(false);
    await this.#membership?.resume();
    this.#setReady();
  }

  /** Leave the clusters (announced), close connections, stop every service in reverse order. */
  async stop(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#log('stopping: leaving clusters and closing connections');
    this.contract.close();
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
    const forced = (this.#options.serveTiers ?? []).filter((tier) => known.has(tier));
    const serve = [...new Set([...this.#tiers.filter((t) => t.qualified).map((t) => t.tier), ...forced])];
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
    while (this.#started.length > 0) {
      const service = this.#started.pop()!;
      try {
        await service.stop();
      } catch (error) {
        this.#log(`stop: a service failed to stop cleanly: ${String(error)}`);
      }
    }
  }

  async #refuseSecondNode(): Promise<void> {
    const endpoint = await readApiEndpoint(this.locations.apiEndpoint);
    if (endpoint === null || endpoint.pid === process.pid) return;
    try {
      process.kill(endpoint.pid, 0);
    } catch {
      return; // A stale file from a crashed node.
    }
    throw new NodeAlreadyRunningError(this.locations.dataDir, endpoint.pid);
  }
}
