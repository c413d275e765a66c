// The models service (DESIGN.md §3): the built-in engine's model for each tier this node serves, from the
// network's catalog into the cache. It publishes per tier missing / queued / downloading / paused / verifying
// / ready / failed, and answers the engine's "which file serves this tier?" only for a verified file.
import { TypedEventEmitter } from 'main-event';
import type { ModelState } from '../../../src-shared/ipc/models.ts';
import type { GgufModel, NetworkConfig } from '../../../src-shared/network-config/index.ts';
import { ggufSizeBytes } from '../../../src-shared/tiers/index.ts';
import type { ModelFile, ModelSource } from '../engine/builtin/model-source.ts';
import type { Locations } from '../locations.ts';
import { DiskQueue } from './disk-queue.ts';
import { ModelDownloadError, ModelNotInCatalogError } from './errors.ts';
import { fetchModel, type FetchModelOptions } from './fetch-model.ts';
import { ModelCache } from './model-cache.ts';
import { DEFAULT_CACHE_GRACE_MS, sweepCache } from './cache-sweep.ts';
import { ModelSeeding, type ModelPeers, type SeedableFile } from './model-seeding.ts';

export interface ModelsComponents {
  readonly locations: Locations;
  readonly config: () => NetworkConfig;
}

export type ModelsInit = Omit<
  FetchModelOptions,
  'queue' | 'signal' | 'onQueued' | 'onProgress' | 'onVerifying' | 'peers' | 'onPeersFailed'
> & {
  /** After a failure, a wanted model is tried again this much later. Default 5 minutes. */
  readonly retryFailedAfterMs?: number;
  readonly log?: (line: string) => void;
  /** A model no served tier uses is deleted after this long (see cache-sweep.ts). Default a week. */
  readonly cacheGraceMs?: number;
  /** The clock of the cache sweep (tests). */
  readonly now?: () => number;
};

/** How often a long-running node looks for models that outlived their grace period. */
const SWEEP_EVERY_MS = 6 * 60 * 60_000;

export type { ModelFile } from '../engine/builtin/model-source.ts';

export type { ModelPeers } from './model-seeding.ts';

export interface ModelsEvents {
  'model:state': CustomEvent<{ readonly tier: string; readonly state: ModelState }>;
}

/** Raised inside a download that pause stopped; never leaves the service. */
class PausedSignal extends Error {
  override readonly name = 'PausedSignal';
}

interface Job {
  readonly controller: AbortController;
  readonly done: Promise<void>;
}

export class ModelsService extends TypedEventEmitter<ModelsEvents> implements ModelSource {
  readonly cache: ModelCache;
  readonly #components: ModelsComponents;
  readonly #init: ModelsInit;
  readonly #queue = new DiskQueue();
  readonly #states = new Map<string, ModelState>();
  readonly #ready = new Map<string, ModelFile>();
  readonly #jobs = new Map<string, Job>();
  readonly #retryTimers = new Map<string, NodeJS.Timeout>();
  #wanted: readonly string[] | null = null;
  #sweeping: Promise<void> = Promise.resolve();
  #sweepTimer: NodeJS.Timeout | null = null;
  #paused = false;
  #stopped = false;
  /** The files of the ready models of the tiers this node serves, offered to peers. */
  readonly #seeding: ModelSeeding;

  constructor(components: ModelsComponents, init: ModelsInit = {}) {
    super();
    this.#components = components;
    this.#init = init;
    this.cache = new ModelCache(components.locations.modelsDir);
    this.#seeding = new ModelSeeding(init.log);
  }

  /**
   * Fetch addressed files from peers (with the origin) and seed the served tiers' files; null: HTTP only,
   * nothing seeded. Set once the node's libp2p runs.
   */
  setPeers(peers: ModelPeers | null): void {
    this.#seeding.setPeers(peers, this.#paused);
    this.#syncSeeding();
  }

  /** Root CIDs this node offers, or is about to offer (importing a file first), to peers. */
  seededCids(): string[] {
    return this.#seeding.cids();
  }

  /** Learn which catalog models are already in the cache (no download starts here). */
  async start(): Promise<void> {
    this.#stopped = false;
    await this.refresh();
    this.#sweepTimer = setInterval(() => void this.sweep(), SWEEP_EVERY_MS);
    this.#sweepTimer.unref();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#sweepTimer !== null) clearInterval(this.#sweepTimer);
    this.#sweepTimer = null;
    for (const timer of this.#retryTimers.values()) clearTimeout(timer);
    this.#retryTimers.clear();
    const jobs = [...this.#jobs.values()];
    for (const job of jobs) job.controller.abort(new PausedSignal('the node is stopping'));
    await Promise.allSettled(jobs.map((job) => job.done));
  }

  /** The built-in model of `tier` in the current catalog, or null. */
  modelOf(tier: string): GgufModel | null {
    return this.#components.config().tiers.find((t) => t.id === tier)?.engineModels.builtin ?? null;
  }

  /** Every catalog tier's state (tiers without a built-in model are `none`). */
  states(): Record<string, ModelState> {
    const out: Record<string, ModelState> = {};
    for (const tier of this.#components.config().tiers) out[tier.id] = this.state(tier.id);
    return out;
  }

  state(tier: string): ModelState {
    return this.#states.get(tier) ?? { status: 'none' };
  }

  /** The verified file that serves `tier`; null until its model is ready. */
  fileFor(tier: string): ModelFile | null {
    return this.#ready.get(tier) ?? null;
  }

  isReady(tier: string): boolean {
    return this.#ready.has(tier);
  }

  /** Re-read the catalog (after a config update) and the cache; downloads what is wanted and missing. */
  async refresh(): Promise<void> {
    for (const tier of this.#components.config().tiers) {
      const model = tier.engineModels.builtin;
      if (model === undefined) {
        this.#ready.delete(tier.id);
        this.#set(tier.id, { status: 'none' });
        continue;
      }
      const current = this.#ready.get(tier.id);
      if (current?.sha256 === model.files[0]!.sha256) continue;
      this.#ready.delete(tier.id);
      if (await this.cache.isReady(model)) this.#markReady(tier.id, model);
      else if (!this.#jobs.has(ModelCache.keyOf(model)))
        this.#set(tier.id, { status: 'missing', modelId: model.id, totalBytes: ggufSizeBytes(model) });
    }
    this.#startWanted();
    this.#syncSeeding();
  }

  /** The tiers whose models this node needs (those it plans to serve): missing ones download in turn. */
  want(tiers: readonly string[]): void {
    this.#wanted = [...tiers];
    this.#startWanted();
    this.#syncSeeding();
    void this.sweep();
  }

  /**
   * Delete cached models no wanted tier has used for the grace period (nothing before the node knows what
   * it wants). Resolves with what was deleted; never rejects.
   */
  sweep(): Promise<void> {
    const run = this.#sweeping.then(async () => {
      if (this.#wanted === null || this.#stopped) return;
      const inUse = new Set(this.#jobs.keys());
      for (const tier of this.#wanted) {
        const model = this.modelOf(tier);
        if (model !== null) inUse.add(ModelCache.keyOf(model));
      }
      try {
        const removed = await sweepCache(this.cache, inUse, {
          now: (this.#init.now ?? Date.now)(),
          graceMs: this.#init.cacheGraceMs ?? DEFAULT_CACHE_GRACE_MS,
        });
        for (const swept of removed) {
          this.#init.log?.(`models: deleted ${swept.id} (${swept.bytes} bytes), unused for the grace period`);
          for (const tier of this.#components.config().tiers) {
            const model = tier.engineModels.builtin;
            if (model === undefined || ModelCache.keyOf(model) !== swept.key) continue;
            this.#ready.delete(tier.id);
            this.#set(tier.id, { status: 'missing', modelId: model.id, totalBytes: ggufSizeBytes(model) });
            for (const file of model.files)
              if (file.cid !== undefined) await this.#seeding.peers?.forget({ ...file, cid: file.cid });
          }
        }
      } catch (error) {
        this.#init.log?.(
          `models: cache sweep failed: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    });
    this.#sweeping = run;
    return run;
  }

  /** Paused contributing: downloads stop where they are (kept for later) and resume with contributing. */
  setPaused(paused: boolean): void {
    if (this.#paused === paused) return;
    this.#paused = paused;
    // Seeding pauses with contributing (and so in idle-only mode while the user is active).
    this.#seeding.peers?.setSeedingPaused(paused);
    if (paused) for (const job of this.#jobs.values()) job.controller.abort(new PausedSignal('paused'));
    else this.#startWanted();
  }

  /** Download `tier`'s model now and wait for it (the CLI's `models pull`). */
  async pull(tier: string, options: { signal?: AbortSignal } = {}): Promise<ModelFile> {
    const model = this.modelOf(tier);
    if (model === null) throw new ModelNotInCatalogError(tier);
    if (!this.isReady(tier)) await this.#download(tier, model, options.signal);
    const file = this.fileFor(tier);
    if (file === null) {
      const state = this.state(tier);
      throw state.status === 'failed' ? new Error(state.message) : new Error(`${tier}: download stopped`);
    }
    return file;
  }

  /** Delete `tier`'s model from the cache (a running engine keeps its open file until it stops). */
  async remove(tier: string): Promise<void> {
    const model = this.modelOf(tier);
    if (model === null) throw new ModelNotInCatalogError(tier);
    const job = this.#jobs.get(ModelCache.keyOf(model));
    if (job) {
      job.controller.abort(new PausedSignal('removed'));
      await job.done.catch(() => {});
    }
    await this.cache.remove(model);
    for (const file of model.files)
      if (file.cid !== undefined) await this.#seeding.forget({ ...file, cid: file.cid });
    for (const other of this.#tiersUsing(model)) {
      this.#ready.delete(other);
      this.#set(other, { status: 'missing', modelId: model.id, totalBytes: ggufSizeBytes(model) });
    }
    this.#syncSeeding();
  }

  /** Seed exactly the addressed files of the ready models of the wanted (served) tiers. */
  #syncSeeding(): void {
    if (this.#stopped) return;
    const want = new Map<string, SeedableFile>();
    for (const tier of this.#wanted ?? []) {
      const model = this.modelOf(tier);
      if (model === null || !this.isReady(tier)) continue;
      for (const [index, file] of model.files.entries())
        if (file.cid !== undefined)
          want.set(file.cid, { file: { ...file, cid: file.cid }, path: this.cache.filePath(model, index) });
    }
    this.#seeding.sync(want);
  }

  #startWanted(): void {
    if (this.#paused || this.#stopped) return;
    for (const tier of this.#wanted ?? []) {
      const model = this.modelOf(tier);
      if (model === null || this.isReady(tier) || this.#retryTimers.has(tier)) continue;
      if (this.state(tier).status === 'failed') continue;
      void this.#download(tier, model).catch(() => {});
    }
  }

  async #download(tier: string, model: GgufModel, signal?: AbortSignal): Promise<void> {
    const key = ModelCache.keyOf(model);
    const existing = this.#jobs.get(key);
    if (existing) return existing.done;
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    const totalBytes = ggufSizeBytes(model);
    const tiers = () => this.#tiersUsing(model);
    const setAll = (state: ModelState) => {
      for (const t of tiers()) this.#set(t, state);
    };
    let received = 0;
    const done = (async () => {
      try {
        await fetchModel(this.cache, model, {
          ...this.#init,
          queue: this.#queue,
          signal: controller.signal,
          peers: this.#seeding.peers,
          onPeersFailed: (error) =>
            this.#init.log?.(
              `models: ${model.id} from peers failed (${error instanceof Error ? error.message : String(error)}); ` +
                'over HTTP instead',
            ),
          onQueued: () =>
            setAll({ status: 'queued', modelId: model.id, receivedBytes: received, totalBytes }),
          onProgress: (p) => {
            received = p.receivedBytes;
            setAll({
              status: 'downloading',
              modelId: model.id,
              receivedBytes: p.receivedBytes,
              totalBytes,
              bytesPerSecond: p.bytesPerSecond,
              etaSeconds: p.etaSeconds,
              ...(p.sources
                ? {
                    peers: p.sources.peers,
                    peerBytes: p.sources.peerBytes,
                    originBytes: p.sources.originBytes,
                  }
                : {}),
            });
          },
          onVerifying: () => setAll({ status: 'verifying', modelId: model.id, totalBytes }),
        });
        for (const t of tiers()) this.#markReady(t, model);
        this.#init.log?.(`models: ${model.id} ready (${tiers().join(', ')})`);
        this.#syncSeeding();
      } catch (error) {
        const reason: unknown = controller.signal.reason;
        if (controller.signal.aborted && reason instanceof PausedSignal) {
          if (reason.message === 'paused')
            setAll({ status: 'paused', modelId: model.id, receivedBytes: received, totalBytes });
          else if (reason.message !== 'the node is stopping')
            setAll({ status: 'missing', modelId: model.id, totalBytes });
          return;
        }
        if (controller.signal.aborted) {
          setAll({ status: 'missing', modelId: model.id, totalBytes });
          throw error;
        }
        const failure =
          error instanceof ModelDownloadError
            ? { reason: error.reason, message: error.message }
            : {
                reason: 'io' as const,
                message: `${model.id}: ${error instanceof Error ? error.message : String(error)}`,
              };
        setAll({ status: 'failed', modelId: model.id, ...failure });
        this.#init.log?.(`models: ${failure.message}`);
        this.#scheduleRetry(tiers());
        throw error;
      } finally {
        signal?.removeEventListener('abort', onAbort);
        this.#jobs.delete(key);
      }
    })();
    this.#jobs.set(key, { controller, done });
    return done;
  }

  #scheduleRetry(tiers: readonly string[]): void {
    if (this.#stopped) return;
    for (const tier of tiers) {
      clearTimeout(this.#retryTimers.get(tier));
      const timer = setTimeout(
        () => {
          this.#retryTimers.delete(tier);
          if (this.state(tier).status === 'failed') this.#states.delete(tier);
          this.#startWanted();
        },
        this.#init.retryFailedAfterMs ?? 5 * 60_000,
      );
      timer.unref();
      this.#retryTimers.set(tier, timer);
    }
  }

  #tiersUsing(model: GgufModel): string[] {
    const key = ModelCache.keyOf(model);
    return this.#components
      .config()
      .tiers.filter((t) => t.engineModels.builtin && ModelCache.keyOf(t.engineModels.builtin) === key)
      .map((t) => t.id);
  }

  #markReady(tier: string, model: GgufModel): void {
    this.#ready.set(tier, {
      path: this.cache.filePath(model),
      modelId: model.id,
      contextLength: model.contextLength,
      sha256: model.files[0]!.sha256,
    });
    this.#set(tier, { status: 'ready', modelId: model.id, totalBytes: ggufSizeBytes(model) });
  }

  #set(tier: string, state: ModelState): void {
    this.#states.set(tier, state);
    this.safeDispatchEvent('model:state', { detail: { tier, state } });
  }
}
