// The EXO engine: attaches to an EXO API that already answers (the macOS app runs one on 52415) or finds,
// spawns and supervises one EXO process for this cluster; places the cluster's model, reports its loading,
// streams chats and records which EXO nodes served each one (ref/exo-integration.md §9).
import { mkdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatRequest, ChatServingShare } from '../../../../src-shared/protocol/chat.ts';
import type { ChatOptions, ChatStream } from '../engine.ts';
import { EngineBase, errorMessage, type EngineBaseInit, type RunOutcome } from '../engine-base.ts';
import { EngineNotReadyError, EngineRequestError, EngineStartError } from '../errors.ts';
import { openHttpChatStream } from '../http-chat-stream.ts';
import { DEFAULT_EXO_API_PORT, ExoApi } from './exo-api.ts';
import {
  EXO_GENERATION_LABELS,
  exoHomePaths,
  exoLaunch,
  isSupportedGeneration,
  unsupportedGenerationMessage,
  type ExoGeneration,
  type ExoLaunchSettings,
} from './exo-generation.ts';
import {
  choosePreview,
  findModelInstance,
  instanceReadiness,
  placementRefusal,
  servingShares,
  type ExoPlacementPreference,
} from './exo-placement.ts';
import type { ExoInstanceView, ExoStateView } from './exo-state.ts';
import { exoInstallHint, findExo, readExoHelp, type ExoSource } from './find-exo.ts';

export interface ExoEngineInit
  extends EngineBaseInit, Partial<Omit<ExoLaunchSettings, 'exoHome' | 'apiPort'>> {
  /** The EXO model card id the cluster's tier serves, e.g. `mlx-community/Meta-Llama-3.1-8B-Instruct-4bit`. */
  readonly modelId: string;
  /** This cluster's EXO_HOME (config, data, cache, logs, PID lock). Required to spawn. */
  readonly exoHome?: string;
  /** The `exo` executable; otherwise PATH, then the macOS app bundle. */
  readonly exoPath?: string;
  /** API host. Default 127.0.0.1. */
  readonly host?: string;
  /** API port. Default 52415 (EXO's, and the macOS app's). */
  readonly apiPort?: number;
  /** `auto`: use an EXO that already answers, else spawn. `never`: always spawn. `only`: never spawn. */
  readonly attach?: 'auto' | 'never' | 'only';
  readonly placement?: ExoPlacementPreference;
  /** After a spawn, how long the API may take to answer. Default 180 s. */
  readonly startupTimeoutMs?: number;
  /** How long EXO may take to create an instance it acknowledged. Default 60 s. */
  readonly placementTimeoutMs?: number;
  /** State polling while starting and loading. Default 1 s. */
  readonly pollIntervalMs?: number;
  /** Liveness probe (GET /node_id) interval once ready. Default 2 s. */
  readonly livenessIntervalMs?: number;
  /** Default 5 s. */
  readonly livenessTimeoutMs?: number;
  /** Failed probes in a row that make a running EXO count as hung. Default 3. */
  readonly livenessFailures?: number;
  /** Once ready, how often the instance's runners are re-checked in /state. Default 6 s. */
  readonly instanceCheckIntervalMs?: number;
  /** Default 30 s. */
  readonly helpTimeoutMs?: number;
  /** A chat that receives nothing (not even a keep-alive) for this long fails. Default 120 s. */
  readonly chatIdleTimeoutMs?: number;
  /** Longest SSE event accepted from EXO. Default 1 MiB. */
  readonly maxEventChars?: number;
  /** The environment EXO inherits (before its own variables). Default process.env. */
  readonly baseEnv?: NodeJS.ProcessEnv;
  readonly platform?: NodeJS.Platform;
  readonly homedir?: string;
  readonly fetch?: typeof fetch;
}

/** The installed EXO this engine runs, once found. */
export interface ExoInstallation {
  readonly path: string;
  readonly source: ExoSource;
  readonly generation: ExoGeneration;
}

/** Placement attempts when EXO keeps dropping the instance (a member node leaving, runner retries). */
const MAX_PLACEMENTS = 3;

export class ExoEngine extends EngineBase {
  readonly kind = 'exo' as const;
  protected readonly engineName = 'EXO';
  readonly #init: ExoEngineInit;
  readonly #api: ExoApi;
  #installation: ExoInstallation | null = null;
  #attached = false;
  #serving: ExoInstanceView | null = null;
  #placedByUs: string | null = null;

  constructor(init: ExoEngineInit) {
    super(init);
    this.#init = init;
    const url = `http://${init.host ?? '127.0.0.1'}:${init.apiPort ?? DEFAULT_EXO_API_PORT}`;
    this.#api = new ExoApi(url, init.fetch ? { fetch: init.fetch } : {});
  }

  get apiUrl(): string {
    return this.#api.baseUrl;
  }

  get modelId(): string {
    return this.#init.modelId;
  }

  /** True when serving through an EXO this engine did not start. */
  get attached(): boolean {
    return this.#attached;
  }

  get installation(): ExoInstallation | null {
    return this.#installation;
  }

  /** The instance serving chats, when ready (its shard assignments say which EXO nodes hold the model). */
  get servingInstance(): ExoInstanceView | null {
    return this.#serving;
  }

  chat(request: ChatRequest, options: ChatOptions = {}): ChatStream {
    const serving = this.#serving;
    if (this.state.status !== 'ready' || !serving) throw new EngineNotReadyError('EXO', this.state.status);
    const init = this.#init;
    return openHttpChatStream({
      engineName: 'EXO',
      url: `${this.#api.baseUrl}/v1/chat/completions`,
      body: { ...request, model: init.modelId, stream: true },
      signal: options.signal,
      ...(init.fetch ? { fetch: init.fetch } : {}),
      ...(init.maxEventChars === undefined ? {} : { maxEventChars: init.maxEventChars }),
      ...(init.chatIdleTimeoutMs === undefined ? {} : { idleTimeoutMs: init.chatIdleTimeoutMs }),
      cancelRemote: (commandId) => this.#api.cancel(commandId),
      servedBy: (commandId) => this.#servedBy(commandId, serving),
    });
  }

  protected async supervise(signal: AbortSignal): Promise<void> {
    const mode = this.#init.attach ?? 'auto';
    if (mode !== 'never') {
      const probe = await this.#probe(signal);
      if (probe === 'legacy') {
        this.fail(
          `the EXO at ${this.apiUrl} is ${EXO_GENERATION_LABELS.legacy}, which has no instance API; install EXO v1.0.60 or newer`,
        );
        return;
      }
      if (probe === 'exo' || mode === 'only') {
        await this.#superviseAttached(signal);
        return;
      }
    }
    const installation = await this.#findInstallation(signal);
    if (!installation || signal.aborted) return;
    const exoHome = this.#init.exoHome;
    if (exoHome === undefined) {
      this.fail('no EXO home directory is configured for this cluster, so EXO cannot be started');
      return;
    }
    await prepareExoHome(exoHome);
    const { args, env } = exoLaunch(
      installation.generation,
      { ...this.#init, exoHome, apiPort: this.#init.apiPort ?? DEFAULT_EXO_API_PORT },
      this.#init.baseEnv ?? process.env,
    );
    await this.superviseRestarts(signal, (runSignal) =>
      this.withProcess({ command: installation.path, args, cwd: exoHome, env }, runSignal, (life) =>
        this.#serve(life, this.#init.startupTimeoutMs ?? 180_000).finally(() => (this.#serving = null)),
      ),
    );
  }

  /** Is an EXO API already answering (rewrite), an old exo (`/healthcheck`), or nothing? */
  async #probe(signal: AbortSignal): Promise<'exo' | 'legacy' | 'none'> {
    try {
      await this.#api.nodeId({ signal, timeoutMs: 1_500 });
      return 'exo';
    } catch {
      // Not the rewrite; old exo answered GET /healthcheck with {"status":"ok"}.
    }
    try {
      const health = await fetch(`${this.apiUrl}/healthcheck`, {
        signal: AbortSignal.any([signal, AbortSignal.timeout(1_500)]),
      });
      const body = (await health.json()) as { status?: unknown };
      return health.ok && body.status === 'ok' ? 'legacy' : 'none';
    } catch {
      return 'none';
    }
  }

  async #findInstallation(signal: AbortSignal): Promise<ExoInstallation | null> {
    const search = await findExo({
      ...(this.#init.exoPath === undefined ? {} : { exoPath: this.#init.exoPath }),
      env: this.#init.baseEnv ?? process.env,
      ...(this.#init.platform ? { platform: this.#init.platform } : {}),
      ...(this.#init.homedir ? { homedir: this.#init.homedir } : {}),
    });
    if (!search.found) {
      this.note(`${search.reason}; looked in ${search.searched.length} places`);
      this.setState({
        status: 'absent',
        reason: search.reason,
        install: exoInstallHint(this.#init.platform),
      });
      return null;
    }
    const help = await readExoHelp(search.path, {
      env: this.#init.baseEnv ?? process.env,
      timeoutMs: this.#init.helpTimeoutMs ?? 30_000,
      signal,
    });
    if (signal.aborted) return null;
    if (!help.ok) {
      this.fail(help.reason);
      return null;
    }
    if (!isSupportedGeneration(help.generation)) {
      this.fail(unsupportedGenerationMessage(help.generation, search.path));
      return null;
    }
    this.#installation = { path: search.path, source: search.source, generation: help.generation };
    this.note(`found ${EXO_GENERATION_LABELS[help.generation]} at ${search.path} (${search.source})`);
    return this.#installation;
  }

  async #superviseAttached(signal: AbortSignal): Promise<void> {
    this.#attached = true;
    this.note(`using the EXO API at ${this.apiUrl} (not started by OpenGateway)`);
    try {
      // The EXO app restarts its own EXO: wait for it rather than fail.
      await this.superviseExternal(signal, `waiting for EXO at ${this.apiUrl}`, (runSignal) =>
        this.#serve(runSignal, Number.POSITIVE_INFINITY).finally(() => (this.#serving = null)),
      );
    } finally {
      await this.#releasePlacement();
    }
  }

  /** One run against a live API: wait for it, bring the model up, watch it. Returns when it stops answering. */
  async #serve(signal: AbortSignal, startupTimeoutMs: number): Promise<RunOutcome> {
    let nodeId = await this.#waitForApi(signal, startupTimeoutMs);
    for (;;) {
      const instance = await this.#bringUp(nodeId, signal);
      this.markHealthy();
      const end = await this.#monitor(nodeId, instance.instanceId, signal);
      if (end.kind === 'unresponsive') return { kind: 'crashed', why: end.why };
      this.#serving = null;
      this.note(`${end.why}; placing the model again`);
      nodeId = await this.#api.nodeId({ signal });
    }
  }

  async #waitForApi(signal: AbortSignal, timeoutMs: number): Promise<string> {
    const started = Date.now();
    this.setState({ status: 'starting', detail: `waiting for the EXO API at ${this.apiUrl}` });
    for (;;) {
      try {
        const nodeId = await this.#api.nodeId({ signal, timeoutMs: this.#init.livenessTimeoutMs ?? 5_000 });
        this.note(`EXO node ${nodeId} answers at ${this.apiUrl}`);
        return nodeId;
      } catch (error) {
        if (signal.aborted) throw error;
      }
      if (Date.now() - started > timeoutMs) {
        throw new Error(
          `did not answer on ${this.apiUrl} within ${Math.round(timeoutMs / 1000)} s of starting`,
        );
      }
      await sleep(this.#init.pollIntervalMs ?? 1_000, undefined, { signal });
    }
  }

  /** Finds or places the model's instance and waits until every runner is ready. */
  async #bringUp(nodeId: string, signal: AbortSignal): Promise<ExoInstanceView> {
    for (let placements = 0; ;) {
      const state = await this.#api.state(signal);
      let instance = findModelInstance(state, this.#init.modelId, nodeId);
      if (instance) {
        this.note(`using EXO instance ${instance.instanceId} of ${this.#init.modelId}`);
      } else {
        if (placements >= MAX_PLACEMENTS) {
          throw new EngineStartError(
            `EXO dropped the ${this.#init.modelId} instance ${placements} times while loading it`,
          );
        }
        placements += 1;
        instance = await this.#place(nodeId, state, signal);
      }
      if (await this.#awaitRunners(instance.instanceId, signal)) {
        this.#serving = instance;
        this.setState({ status: 'ready', models: [this.#init.modelId] });
        this.note(
          `${this.#init.modelId} is ready on ${Object.keys(instance.nodeToRunner).length} EXO node(s)`,
        );
        return instance;
      }
      this.note(`EXO instance ${instance.instanceId} disappeared while loading`);
    }
  }

  async #place(nodeId: string, before: ExoStateView, signal: AbortSignal): Promise<ExoInstanceView> {
    const modelId = this.#init.modelId;
    this.setState({ status: 'loading', phase: 'placing', progress: 0 });
    let previews;
    try {
      previews = await this.#api.previews(modelId, signal);
    } catch (error) {
      if (error instanceof EngineRequestError && error.httpStatus !== null && error.httpStatus < 500) {
        throw new EngineStartError(`EXO cannot place ${modelId}: ${error.message}`);
      }
      throw error;
    }
    const chosen = choosePreview(previews, nodeId, this.#init.placement);
    if (!chosen?.instance)
      throw new EngineStartError(`EXO cannot place ${modelId}: ${placementRefusal(previews)}`);
    const nodes = Object.keys(chosen.instance.view.nodeToRunner).length;
    this.note(`placing ${modelId} (${chosen.sharding}, ${chosen.instanceMeta}) on ${nodes} EXO node(s)`);
    try {
      await this.#api.createInstance(chosen.instance.raw, signal);
    } catch (error) {
      if (error instanceof EngineRequestError && error.httpStatus !== null && error.httpStatus < 500) {
        throw new EngineStartError(`EXO refused to place ${modelId}: ${error.message}`);
      }
      throw error;
    }
    // EXO acknowledges every placement and fails later, only in its log: confirm the instance in /state.
    const timeoutMs = this.#init.placementTimeoutMs ?? 60_000;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const state = await this.#api.state(signal);
      const created =
        state.instances.get(chosen.instance.view.instanceId) ??
        [...state.instances.values()].find(
          (i) => i.modelId === modelId && !before.instances.has(i.instanceId),
        );
      if (created) {
        this.#placedByUs = created.instanceId;
        return created;
      }
      if (Date.now() > deadline) {
        throw new EngineStartError(
          `EXO accepted the placement of ${modelId} but did not create it within ${Math.round(timeoutMs / 1000)} s ` +
            '(EXO reports placement failures only in its log)',
        );
      }
      await sleep(this.#init.pollIntervalMs ?? 1_000, undefined, { signal });
    }
  }

  /** True once every runner is ready; false if the instance vanished. Throws on a failed runner. */
  async #awaitRunners(instanceId: string, signal: AbortSignal): Promise<boolean> {
    for (;;) {
      const readiness = instanceReadiness(await this.#api.state(signal), instanceId);
      switch (readiness.status) {
        case 'ready':
          return true;
        case 'gone':
          return false;
        case 'failed':
          throw new EngineStartError(
            `an EXO runner failed to load ${this.#init.modelId}: ${readiness.message}`,
          );
        case 'loading':
          this.setState({ status: 'loading', phase: readiness.phase, progress: readiness.progress });
      }
      await sleep(this.#init.pollIntervalMs ?? 1_000, undefined, { signal });
    }
  }

  /** Watches a ready engine until the API stops answering or the instance goes away. */
  async #monitor(
    nodeId: string,
    instanceId: string,
    signal: AbortSignal,
  ): Promise<{ kind: 'unresponsive' | 'instance-lost'; why: string }> {
    const threshold = this.#init.livenessFailures ?? 3;
    const checkEveryMs = this.#init.instanceCheckIntervalMs ?? 6_000;
    let failures = 0;
    let lastCheck = Date.now();
    for (;;) {
      await sleep(this.#init.livenessIntervalMs ?? 2_000, undefined, { signal });
      try {
        const current = await this.#api.nodeId({ signal, timeoutMs: this.#init.livenessTimeoutMs ?? 5_000 });
        failures = 0;
        if (current !== nodeId)
          return { kind: 'instance-lost', why: `EXO restarted (node ${nodeId} is now ${current})` };
      } catch (error) {
        if (signal.aborted) throw error;
        failures += 1;
        this.note(`EXO did not answer /node_id (${failures} of ${threshold}): ${errorMessage(error)}`);
        if (failures >= threshold) {
          return {
            kind: 'unresponsive',
            why: `stopped answering (/node_id failed ${threshold} times in a row)`,
          };
        }
        continue;
      }
      if (Date.now() - lastCheck < checkEveryMs) continue;
      lastCheck = Date.now();
      const readiness = instanceReadiness(await this.#api.state(signal), instanceId);
      if (readiness.status === 'gone')
        return { kind: 'instance-lost', why: `EXO instance ${instanceId} went away` };
      if (readiness.status === 'failed') {
        throw new EngineStartError(`an EXO runner of ${this.#init.modelId} failed: ${readiness.message}`);
      }
      this.setState(
        readiness.status === 'ready'
          ? { status: 'ready', models: [this.#init.modelId] }
          : { status: 'loading', phase: readiness.phase, progress: readiness.progress },
      );
    }
  }

  /** The EXO nodes that served a completion: its task's instance if still in /state, else ours. */
  async #servedBy(commandId: string, fallback: ExoInstanceView): Promise<ChatServingShare[]> {
    try {
      const signal = AbortSignal.timeout(2_000);
      const task = (await this.#api.tasks(signal)).find((candidate) => candidate.commandId === commandId);
      if (task && task.instanceId !== fallback.instanceId) {
        return servingShares(await this.#api.instance(task.instanceId, signal));
      }
    } catch {
      // The task is deleted when the stream ends; the instance we placed is the answer then.
    }
    return servingShares(fallback);
  }

  /** On stop, an attached engine removes the instance it placed, freeing the memory in someone else's EXO. */
  async #releasePlacement(): Promise<void> {
    const instanceId = this.#placedByUs;
    this.#placedByUs = null;
    if (instanceId === null) return;
    try {
      await this.#api.deleteInstance(instanceId, AbortSignal.timeout(5_000));
      this.note(`removed EXO instance ${instanceId}`);
    } catch (error) {
      this.note(`could not remove EXO instance ${instanceId}: ${errorMessage(error)}`);
    }
  }
}

/** Creates EXO_HOME and the marker that keeps EXO from opening a browser on its first start. */
async function prepareExoHome(exoHome: string): Promise<void> {
  await mkdir(exoHome, { recursive: true, mode: 0o700 });
  try {
    await writeFile(exoHomePaths(exoHome).dashboardOpenedMarker, '', { flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}
