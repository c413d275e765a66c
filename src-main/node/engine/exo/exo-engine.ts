// The EXO engine: attaches to an EXO API that already answers (the macOS app runs one on 52415) or finds,
// spawns and supervises one EXO process for this cluster; places the cluster's model, reports its loading,
// streams chats and records which EXO nodes served each one (ref/exo-integration.md §9).
import { mkdir, writeFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ChatRequest, ChatServingShare } from '../../../../src-shared/protocol/chat.ts';
import type { ChatOptions, ChatStream, EnginePlacement } from '../engine.ts';
import { EngineBase, errorMessage, type EngineBaseInit, type RunOutcome } from '../engine-base.ts';
import { EngineNotReadyError } from '../errors.ts';
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
import { servingShares, type ExoPlacementPreference } from './exo-placement.ts';
import type { ExoInstanceView } from './exo-state.ts';
import { ExoInstanceKeeper } from './exo-instance-keeper.ts';
import { exoBaseEnvironment } from './exo-environment.ts';
import { exoInstallHint, findExo, readExoHelp, type ExoSource } from './find-exo.ts';
import { forgetSupervisedExo, recordSupervisedExo, stopStaleExo } from './stale-exo.ts';
import { checkExoExposure, exposureWarning } from './exo-exposure.ts';

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
  /** This machine's network addresses the exposure check tries (tests); its interfaces by default. */
  readonly exposureAddresses?: () => readonly string[];
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
  /** The environment EXO inherits (before its own variables). Default: the minimal part of process.env. */
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

export class ExoEngine extends EngineBase {
  readonly kind = 'exo' as const;
  protected readonly engineName = 'EXO';
  readonly #init: ExoEngineInit;
  readonly #api: ExoApi;
  #installation: ExoInstallation | null = null;
  #attached = false;
  readonly #keeper: ExoInstanceKeeper;
  #serving: ExoInstanceView | null = null;
  #localNode: string | null = null;

  constructor(init: ExoEngineInit) {
    super(init);
    this.#init = init;
    const url = `http://${init.host ?? '127.0.0.1'}:${init.apiPort ?? DEFAULT_EXO_API_PORT}`;
    this.#api = new ExoApi(url, init.fetch ? { fetch: init.fetch } : {});
    this.#keeper = new ExoInstanceKeeper(this.#api, init, {
      setState: (state) => this.setState(state),
      note: (text) => this.note(text),
    });
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

  /** This machine's EXO node and the instance's shares (shard payments), while serving. */
  get placement(): EnginePlacement | null {
    const serving = this.#serving;
    if (!serving || this.#localNode === null) return null;
    const shares = servingShares(serving);
    // Where EXO reached each node of the instance, from the /state the supervisor last read.
    const known = this.#api.lastState?.nodeAddresses;
    // fromEntries defines own properties: an id such as "__proto__" stays a key, never the prototype.
    const nodeAddresses: Record<string, readonly string[]> = Object.fromEntries(
      shares.flatMap(({ engineNodeId }) => {
        const addresses = known?.get(engineNodeId);
        return addresses && addresses.length > 0 ? [[engineNodeId, addresses] as const] : [];
      }),
    );
    return { localNode: this.#localNode, shares, nodeAddresses };
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
    const exoHome = this.#init.exoHome;
    // First, so that an EXO we started before a crash of this node is not mistaken for someone else's.
    if (exoHome !== undefined) {
      const stale = await stopStaleExo(exoHome, this.stopGraceMs);
      if (stale !== null) this.note(`stopped EXO (pid ${stale}) left running by an earlier run of this node`);
    }
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
    if (exoHome === undefined) {
      this.fail('no EXO home directory is configured for this cluster, so EXO cannot be started');
      return;
    }
    await prepareExoHome(exoHome);
    const { args, env } = exoLaunch(
      installation.generation,
      { ...this.#init, exoHome, apiPort: this.#init.apiPort ?? DEFAULT_EXO_API_PORT },
      this.#init.baseEnv ?? exoBaseEnvironment(process.env),
    );
    await this.superviseRestarts(signal, (runSignal) =>
      this.withProcess(
        { command: installation.path, args, cwd: exoHome, env },
        runSignal,
        async (life, process) => {
          if (process.pid !== undefined) await recordSupervisedExo(exoHome, process.pid);
          try {
            return await this.#serve(life, this.#init.startupTimeoutMs ?? 180_000);
          } finally {
            this.#serving = null;
          }
        },
      ),
    );
    await forgetSupervisedExo(exoHome);
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
      return (await this.#api.isLegacyExo(signal)) ? 'legacy' : 'none';
    } catch {
      return 'none';
    }
  }

  async #findInstallation(signal: AbortSignal): Promise<ExoInstallation | null> {
    const search = await findExo({
      ...(this.#init.exoPath === undefined ? {} : { exoPath: this.#init.exoPath }),
      env: this.#init.baseEnv ?? exoBaseEnvironment(process.env),
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
      env: this.#init.baseEnv ?? exoBaseEnvironment(process.env),
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
      const instance = await this.#keeper.bringUp(nodeId, signal);
      this.#localNode = nodeId;
      this.#serving = instance;
      this.markHealthy();
      void this.#warnOfExposure(signal);
      const end = await this.#keeper.watch(nodeId, instance.instanceId, signal);
      if (end.kind === 'unresponsive') return { kind: 'crashed', why: end.why };
      this.#serving = null;
      this.note(`${end.why}; placing the model again`);
      nodeId = await this.#api.nodeId({ signal });
    }
  }

  /**
   * EXO's API listens on every interface with no key and CORS `*`, and cannot be told otherwise (security
   * finding 13, exo-exposure.ts): once per run, say in the engine's log (the dashboard shows it) who else can
   * use it.
   */
  async #warnOfExposure(signal: AbortSignal): Promise<void> {
    try {
      const exposure = await checkExoExposure({
        url: this.apiUrl,
        signal,
        ...(this.#init.exposureAddresses ? { lanAddresses: this.#init.exposureAddresses } : {}),
      });
      const warning = exposureWarning(exposure, new URL(this.apiUrl).port);
      if (warning !== null && !signal.aborted) this.note(`warning: ${warning}`);
    } catch {
      // Stopped meanwhile; the next run checks again.
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
    const instanceId = this.#keeper.placedByUs;
    this.#keeper.placedByUs = null;
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
