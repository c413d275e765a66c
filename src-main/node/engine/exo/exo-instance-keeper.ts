// Keeps the cluster's model placed in EXO: finds or places its instance (`/instance/previews` → `POST /instance`,
// confirmed in /state, because EXO acknowledges every placement and fails later, only in its log), follows
// the runners to ready, and then watches the API and the instance.
import { setTimeout as sleep } from 'node:timers/promises';
import { errorMessage } from '../engine-base.ts';
import type { EngineState } from '../engine.ts';
import { EngineRequestError, EngineStartError } from '../errors.ts';
import type { ExoApi } from './exo-api.ts';
import {
  choosePreview,
  findModelInstance,
  instanceReadiness,
  placementRefusal,
  type ExoPlacementPreference,
} from './exo-placement.ts';
import type { ExoInstanceView, ExoStateView } from './exo-state.ts';

export interface ExoInstanceKeeperInit {
  readonly modelId: string;
  readonly placement?: ExoPlacementPreference;
  readonly placementTimeoutMs?: number;
  readonly pollIntervalMs?: number;
  readonly livenessIntervalMs?: number;
  readonly livenessTimeoutMs?: number;
  readonly livenessFailures?: number;
  readonly instanceCheckIntervalMs?: number;
}

/** Where the keeper reports: the engine's state and log. */
export interface ExoInstanceReport {
  readonly setState: (state: EngineState) => void;
  readonly note: (text: string) => void;
}

/** Placement attempts when EXO keeps dropping the instance (a member node leaving, runner retries). */
const MAX_PLACEMENTS = 3;

export class ExoInstanceKeeper {
  readonly #api: ExoApi;
  readonly #init: ExoInstanceKeeperInit;
  readonly #report: ExoInstanceReport;
  /** The instance this keeper created (not one it found), to remove when an attached engine stops. */
  placedByUs: string | null = null;

  constructor(api: ExoApi, init: ExoInstanceKeeperInit, report: ExoInstanceReport) {
    this.#api = api;
    this.#init = init;
    this.#report = report;
  }

  /** Finds or places the model's instance and waits until every runner is ready. */
  async bringUp(nodeId: string, signal: AbortSignal): Promise<ExoInstanceView> {
    for (let placements = 0; ;) {
      const state = await this.#api.state(signal);
      let instance = findModelInstance(state, this.#init.modelId, nodeId);
      if (instance) {
        this.#report.note(`using EXO instance ${instance.instanceId} of ${this.#init.modelId}`);
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
        this.#report.setState({ status: 'ready', models: [this.#init.modelId] });
        this.#report.note(
          `${this.#init.modelId} is ready on ${Object.keys(instance.nodeToRunner).length} EXO node(s)`,
        );
        return instance;
      }
      this.#report.note(`EXO instance ${instance.instanceId} disappeared while loading`);
    }
  }

  async #place(nodeId: string, before: ExoStateView, signal: AbortSignal): Promise<ExoInstanceView> {
    const modelId = this.#init.modelId;
    this.#report.setState({ status: 'loading', phase: 'placing', progress: 0 });
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
    this.#report.note(
      `placing ${modelId} (${chosen.sharding}, ${chosen.instanceMeta}) on ${nodes} EXO node(s)`,
    );
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
        this.placedByUs = created.instanceId;
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
          this.#report.setState({ status: 'loading', phase: readiness.phase, progress: readiness.progress });
      }
      await sleep(this.#init.pollIntervalMs ?? 1_000, undefined, { signal });
    }
  }

  /** Watches a ready instance until the API stops answering or the instance goes away. */
  async watch(
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
        this.#report.note(
          `EXO did not answer /node_id (${failures} of ${threshold}): ${errorMessage(error)}`,
        );
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
      this.#report.setState(
        readiness.status === 'ready'
          ? { status: 'ready', models: [this.#init.modelId] }
          : { status: 'loading', phase: readiness.phase, progress: readiness.progress },
      );
    }
  }
}
