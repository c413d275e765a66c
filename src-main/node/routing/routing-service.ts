// The routing service: this node's engines (one per cluster it serves), the worker that serves them on
// /og/infer, the requester that sends this node's own requests to its region, and the gateway the local API
// and the chat panel use. It keeps the membership heartbeats true to what the engines and slots can do.
import { availableParallelism } from 'node:os';
import { TypedEventEmitter } from 'main-event';
import { servedTiersOf, type NetworkConfig } from '../../../src-shared/network-config/index.ts';
import { clusterKey, type EngineState as HeartbeatEngineState } from '../../../src-shared/protocol/index.ts';
import type { RegionId } from '../../../src-shared/regions/index.ts';
import { tierParameterBillions } from '../../../src-shared/tiers/index.ts';
import { builtinThreads } from '../engine/builtin/builtin-threads.ts';
import type { HostLauncher } from '../engine/builtin/host-launcher.ts';
import type { ModelSource } from '../engine/builtin/model-source.ts';
import type { EngineConfig } from '../engine/create-engine.ts';
import type { EngineReason } from '../engine/engine-choice.ts';
import type { EngineKind, EngineState } from '../engine/engine.ts';
import { EngineRegistry } from '../engine/engine-registry.ts';
import type { Locations } from '../locations.ts';
import type { MembershipService } from '../membership/membership-service.ts';
import type { OgLibp2p } from '../p2p/p2p-service.ts';
import { ChatGateway, type GatewayTier } from './chat-gateway.ts';
import { InferRequester, type InferRequesterInit } from './infer-requester.ts';
import { InferWorker } from './infer-worker.ts';
import { membershipDirectory } from './membership-directory.ts';
import type { RequesterPayments, WorkerPayments } from './payments.ts';
import { shardShareholders } from './shard-shares.ts';
import { connectionAddresses } from './connection-addresses.ts';
import { freeLoopbackPort } from '../net/free-loopback-port.ts';
import { exoClusterSettings } from '../engine/exo/exo-cluster-settings.ts';
import { exoBaseEnvironment } from '../engine/exo/exo-environment.ts';
import type { EngineServer } from '../settings/node-settings.ts';
import {
  TierEngines,
  type EngineSettings,
  type ResolvedEngineSettings,
  type TierEngineView,
} from './tier-engines.ts';

export type { EngineSettings, ResolvedEngineSettings } from './tier-engines.ts';

export interface RoutingComponents {
  readonly libp2p: OgLibp2p;
  readonly membership: MembershipService;
  readonly locations: Locations;
  readonly config: () => NetworkConfig;
  /** The ledger's side of paid requests (both directions); without it requests are free. */
  readonly payments?: { readonly worker: WorkerPayments; readonly requester: RequesterPayments };
}

export interface RoutingInit {
  /** The engine for every tier without its own choice. Default EXO. */
  readonly engine?: EngineSettings;
  /** Why `engine` is what it is, when the caller decided `auto` itself (the CLI). */
  readonly engineReason?: EngineReason;
  /** A different engine for some tiers, set on the command line (Settings cannot change these tiers). */
  readonly tierEngines?: Readonly<Record<string, EngineSettings>>;
  /** The contributor's per-tier choices from Settings at start (they change later through setChosenEngines). */
  readonly chosenTierEngines?: Readonly<Record<string, EngineKind>>;
  /** The OpenAI-compatible server from Settings, for tiers chosen to run on it. */
  readonly engineServer?: EngineServer | null;
  /** How each engine kind runs when Settings picks it (threads, CPU only, an EXO path). */
  readonly engineTemplates?: Partial<Readonly<Record<EngineKind, ResolvedEngineSettings>>>;
  /** The built-in engine's model files; a built-in tier without a ready file has no engine and is not served. */
  readonly modelSource?: ModelSource;
  /** Concurrent requests this node serves per tier. */
  readonly capacityPerTier?: number;
  readonly requester?: InferRequesterInit;
  /** How long requests in flight may finish after a pause before they are cancelled. Default 60 s. */
  readonly drainGraceMs?: number;
  /** Where the EXO app's API would answer. Default 52415; tests point it at an EXO double. */
  readonly exoAppPort?: number;
  /** Engine options for tests (short timings). */
  readonly engineOverrides?: Partial<Record<string, unknown>>;
  /** How built-in engines start their llama.cpp host; default a child process (the desktop app: utilityProcess). */
  readonly builtinHostLauncher?: HostLauncher;
}

export interface RoutingEvents {
  'engine:state': CustomEvent<{ readonly clusterId: string; readonly state: EngineState }>;
}

export class RoutingService extends TypedEventEmitter<RoutingEvents> {
  readonly engines = new EngineRegistry();
  readonly worker: InferWorker;
  readonly requester: InferRequester;
  readonly gateway: ChatGateway;
  readonly #components: RoutingComponents;
  readonly #init: RoutingInit;
  #region: RegionId | null = null;
  #serving: readonly string[] = [];
  #paused = false;
  /** The drain after a pause: aborted by a resume, so engines that are serving again are not stopped. */
  #drain: AbortController | null = null;
  /** Which engine serves each tier (`auto` resolved at start; before it, `auto` reads as EXO). */
  readonly #tierEngines: TierEngines;

  constructor(components: RoutingComponents, init: RoutingInit = {}) {
    super();
    this.#components = components;
    this.#init = init;
    this.#tierEngines = new TierEngines({
      engine: init.engine ?? { kind: 'exo' },
      ...(init.engineReason ? { engineReason: init.engineReason } : {}),
      ...(init.tierEngines ? { commandLine: init.tierEngines } : {}),
      ...(init.engineTemplates ? { templates: init.engineTemplates } : {}),
      ...(init.exoAppPort === undefined ? {} : { exoAppPort: init.exoAppPort }),
    });
    this.#tierEngines.setChosen(init.chosenTierEngines ?? {}, init.engineServer ?? null);
    const directory = membershipDirectory(components.membership);
    this.worker = new InferWorker(
      {
        host: components.libp2p,
        engines: {
          engineFor: (tier) =>
            this.#region ? this.engines.get(clusterKey({ region: this.#region, tier })) : undefined,
        },
        selfPeerId: components.libp2p.peerId.toString(),
        ...(components.payments ? { payments: components.payments.worker } : {}),
        // Shard owners are checked against the worker's EXO topology (security finding 9).
        shareholders: (tier, engine) =>
          shardShareholders(
            engine.placement,
            directory.members(tier),
            components.libp2p.peerId.toString(),
            connectionAddresses(components.libp2p),
          ),
      },
      { capacityPerTier: init.capacityPerTier ?? 2 },
    );
    const tierLabel = (tier: string) =>
      components.config().tiers.find((candidate) => candidate.id === tier)?.label ?? tier;
    this.requester = new InferRequester(
      {
        dialer: components.libp2p,
        directory,
        self: { peerId: components.libp2p.peerId.toString(), worker: this.worker },
        ...(components.payments ? { payments: components.payments.requester } : {}),
      },
      // Offered quotes are reserved ahead (issue 17): the next request to that worker sends a RESERVE that is
      // durable already. Every balance shown counts a reservation held ahead as the user's (ledger/held-ahead.ts).
      { tierLabel, reserveAhead: true, ...init.requester },
    );
    this.gateway = new ChatGateway({
      directory,
      requester: this.requester,
      tiers: () => gatewayTiers(components.config()),
    });
  }

  async start(): Promise<void> {
    await this.#tierEngines.start();
    this.engines.addEventListener('engine:state', (event) => {
      this.#publishLocalState(event.detail.clusterId);
      this.safeDispatchEvent('engine:state', { detail: event.detail });
    });
    this.worker.addEventListener('load', (event) => {
      // Also fired by setCapacity: heartbeats carry the new capacity at once.
      if (this.#region)
        this.#publishLocalState(clusterKey({ region: this.#region, tier: event.detail.tier }));
      this.requester.notifyCapacity();
    });
    // News of capacity anywhere in the region lets a waiting request try again at once.
    this.#components.membership.addEventListener('member-change', () => this.requester.notifyCapacity());
    await this.worker.start();
  }

  async stop(): Promise<void> {
    this.requester.close();
    await this.worker.stop();
    await this.engines.stop();
  }

  /** Run an engine for each tier served in `region`; stop engines of clusters no longer served. */
  async serve(region: RegionId | null, tiers: readonly string[]): Promise<void> {
    const previous = this.#region;
    this.#region = region;
    this.#serving = region ? [...tiers] : [];
    // A built-in tier whose model file is not ready has no engine yet (it is served once the file is).
    const runnable = this.#serving.filter((tier) => this.#canRun(tier));
    const wanted = new Set(runnable.map((tier) => clusterKey({ region: region!, tier })));
    for (const clusterId of Object.keys(this.engines.states())) {
      if (!wanted.has(clusterId) || previous !== region) await this.engines.remove(clusterId);
    }
    if (this.#paused || !region) return;
    for (const tier of this.#serving) {
      const clusterId = clusterKey({ region, tier });
      this.#publishLocalState(clusterId);
      if (!wanted.has(clusterId)) continue;
      await this.engines.ensure(clusterId, await this.#engineConfig(region, tier, runnable));
    }
  }

  /** The engine settings a tier is served with: its own choice, else the node's. */
  engineSettingsFor(tier: string): ResolvedEngineSettings {
    return this.#tierEngines.settingsFor(tier);
  }

  /** The per-tier engine choice: which engine, why, and whether Settings may change it. */
  get tierEngines(): TierEngines {
    return this.#tierEngines;
  }

  /**
   * The contributor chose engines in Settings: takes effect at the next serve() (the node re-plans its tiers,
   * and each tier whose engine changed restarts with the new one).
   */
  setChosenEngines(chosen: Readonly<Record<string, EngineKind>>, server: EngineServer | null): void {
    this.#tierEngines.setChosen(chosen, server);
  }

  #canRun(tier: string): boolean {
    return this.engineSettingsFor(tier).kind !== 'builtin' || this.#modelFile(tier) !== null;
  }

  #modelFile(tier: string) {
    return this.#init.modelSource?.fileFor(tier) ?? null;
  }

  /**
   * Paused: refuse new work at once, let requests in flight finish (cancelled after the grace period, each
   * paid for what arrived), then stop the engines so the GPU is free. Resume starts them again.
   */
  async setPaused(paused: boolean): Promise<void> {
    this.#paused = paused;
    this.worker.setPaused(paused);
    // Nothing stays locked while paused: reservations held ahead settle at zero (requesting still works).
    if (paused) this.requester.releaseHeld();
    this.#drain?.abort();
    this.#drain = null;
    if (!paused) {
      await this.serve(this.#region, this.#serving);
      return;
    }
    const drain = new AbortController();
    this.#drain = drain;
    void this.worker
      .drain(this.#init.drainGraceMs ?? 60_000, drain.signal)
      .then(async () => {
        if (!drain.signal.aborted && this.#paused) await this.engines.stop();
      })
      .catch(() => {
        // An engine that fails to stop reports it through its own state.
      });
  }

  /** Requests still finishing after a pause ("finishing 2 requests…"); 0 when not paused. */
  get finishingRequests(): number {
    return this.#paused ? this.worker.inFlight : 0;
  }

  /** The contributor's cap on concurrent requests per tier: applies to new requests at once. */
  setCapacityPerTier(capacity: number): void {
    this.worker.setCapacity(capacity);
  }

  /** Which engine this node runs (for tiers without their own choice), and whether it is a simulator. */
  get engineKind(): { readonly kind: EngineKind; readonly simulated: boolean } {
    const engine = this.#tierEngines.engine;
    return { kind: engine.kind, simulated: engine.simulated ?? false };
  }

  /** Which engine serves each tier this node serves (per-tier choices included). */
  tierEngineKinds(): Record<string, EngineKind> {
    return Object.fromEntries(this.#serving.map((tier) => [tier, this.engineSettingsFor(tier).kind]));
  }

  /** Every network tier's engine and why (served or not: Settings shows them all). */
  tierEngineViews(): Record<string, TierEngineView> {
    return Object.fromEntries(
      this.#components.config().tiers.map((tier) => [tier.id, this.#tierEngines.viewOf(tier.id)]),
    );
  }

  /** Every served cluster's engine state, for status pages. */
  engineStates(): Record<string, EngineState> {
    return this.engines.states();
  }

  #publishLocalState(clusterId: string): void {
    const tier = clusterId.slice(clusterId.indexOf('/') + 1);
    if (!this.#serving.includes(tier)) return;
    const engine = this.engines.get(clusterId);
    const state = engine?.state ?? { status: 'stopped' as const };
    const engineNode = engine?.placement?.localNode;
    this.#components.membership.setLocalState(tier, {
      ...(engineNode !== undefined ? { engineNode } : {}),
      engine: heartbeatEngineState(state),
      modelsReady: state.status === 'ready' ? state.models.slice(0, 8) : [],
      capacity: this.worker.capacity,
      load: this.worker.load(tier),
    });
  }

  async #engineConfig(region: RegionId, tier: string, runnable: readonly string[]): Promise<EngineConfig> {
    const settings = this.engineSettingsFor(tier);
    const spec = this.#components.config().tiers.find((candidate) => candidate.id === tier);
    if (settings.kind === 'builtin') {
      const model = this.#modelFile(tier);
      if (model === null) throw new Error(`no model file is ready for ${tier}`);
      const builtinTiers = runnable.filter((t) => this.engineSettingsFor(t).kind === 'builtin').length;
      return {
        kind: 'builtin',
        model,
        threads: settings.threads ?? builtinThreads(availableParallelism(), builtinTiers),
        gpu: settings.gpu ?? 'auto',
        ...(settings.gpuLayers === undefined ? {} : { gpuLayers: settings.gpuLayers }),
        ...(settings.gpuShare === undefined ? {} : { gpuShare: settings.gpuShare }),
        ...(settings.contextSize === undefined ? {} : { contextSize: settings.contextSize }),
        sequences: this.#init.capacityPerTier ?? 2,
        ...(this.#init.builtinHostLauncher ? { hostLauncher: this.#init.builtinHostLauncher } : {}),
        ...this.#init.engineOverrides,
      };
    }
    if (settings.kind === 'openai') {
      return {
        kind: 'openai',
        baseUrl: settings.baseUrl,
        ...(settings.apiKey ? { apiKey: settings.apiKey } : {}),
        ...(settings.model ? { model: settings.model } : {}),
        ...(spec ? { tier: { label: spec.label, parameterBillions: tierParameterBillions(spec) } } : {}),
        ...this.#init.engineOverrides,
      };
    }
    const clusterId = clusterKey({ region, tier });
    const config = this.#components.config();
    // Namespace with the network id and ports fixed per tier, the same on every machine of the owner: their
    // EXOs pool into one cluster per tier, and another network's EXOs on the LAN never join it. Simulated
    // engines (devnets, tests: many nodes on one machine) take free ports instead.
    const cluster = exoClusterSettings({
      clusterId,
      slot: Math.max(
        0,
        config.tiers.findIndex((candidate) => candidate.id === tier),
      ),
      enginesDir: this.#components.locations.enginesDir,
      networkId: config.networkId,
    });
    const simulated = settings.simulated ?? false;
    // The EXO app's own EXO serves the first tier EXO serves here; the others get an EXO of their own.
    const appPort = this.#tierEngines.exoAppPort;
    const firstExoTier = runnable.find((t) => this.engineSettingsFor(t).kind === 'exo');
    const viaApp = !simulated && appPort !== null && firstExoTier === tier;
    return {
      kind: 'exo',
      modelId: spec?.engineModels.exo ?? tier,
      ...(simulated
        ? {
            exoHome: cluster.exoHome,
            namespace: cluster.namespace,
            apiPort: await freeLoopbackPort(),
            attach: 'never' as const,
          }
        : viaApp
          ? // Its namespace and ports are the app's: it pools with the owner's other machines the app's way.
            { exoHome: cluster.exoHome, apiPort: appPort, attach: 'only' as const }
          : // An EXO already answering on this cluster's port (started by its owner with these settings) is used.
            { ...cluster, attach: 'auto' as const }),
      ...(settings.exoPath ? { exoPath: settings.exoPath } : {}),
      ...(settings.memoryMb ? { memoryMb: settings.memoryMb } : {}),
      // A real EXO gets only what it needs; the simulator (a test tool) takes its options from the environment.
      baseEnv: { ...(simulated ? process.env : exoBaseEnvironment(process.env)), ...settings.env },
      ...this.#init.engineOverrides,
    };
  }
}

function gatewayTiers(config: NetworkConfig): GatewayTier[] {
  return servedTiersOf(config);
}

function heartbeatEngineState(state: EngineState): HeartbeatEngineState {
  switch (state.status) {
    case 'absent':
      return 'none';
    case 'starting':
    case 'loading':
      return 'starting';
    case 'ready':
      return 'ready';
    case 'failed':
      return 'error';
    case 'stopped':
      return 'stopped';
  }
}
