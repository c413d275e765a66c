// The engine service: one engine per joined cluster, keyed by cluster id, with their state and log events
// forwarded (tagged with the cluster) for the UI, membership and routing.
import { createEngine, type EngineConfig } from './create-engine.ts';
import type { Engine, EngineLogLine, EngineState } from './engine.ts';
import { TypedEventEmitter } from 'main-event';

export interface EngineRegistryEvents {
  'engine:state': CustomEvent<{ readonly clusterId: string; readonly state: EngineState }>;
  'engine:log': CustomEvent<{ readonly clusterId: string; readonly line: EngineLogLine }>;
}

export interface EngineRegistryInit {
  /** Builds an engine from its config; tests inject their own. */
  readonly create?: (config: EngineConfig) => Engine;
}

interface Entry {
  readonly engine: Engine;
  readonly configKey: string;
  readonly detach: () => void;
}

export class EngineRegistry extends TypedEventEmitter<EngineRegistryEvents> {
  readonly #create: (config: EngineConfig) => Engine;
  readonly #entries = new Map<string, Entry>();

  constructor(init: EngineRegistryInit = {}) {
    super();
    this.#create = init.create ?? createEngine;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  /** Stops every engine (in parallel: each may wait out its grace period). */
  async stop(): Promise<void> {
    await Promise.all([...this.#entries.keys()].map((clusterId) => this.remove(clusterId)));
  }

  /**
   * The cluster's engine, started. An engine with the same config is kept; a changed config replaces it
   * (the old one is stopped first, so two EXO processes never hold one home or port).
   */
  async ensure(clusterId: string, config: EngineConfig): Promise<Engine> {
    const configKey = JSON.stringify(config);
    const existing = this.#entries.get(clusterId);
    if (existing?.configKey === configKey) return existing.engine;
    if (existing) await this.remove(clusterId);
    const engine = this.#create(config);
    const onState = (event: CustomEvent<EngineState>) =>
      this.safeDispatchEvent('engine:state', { detail: { clusterId, state: event.detail } });
    const onLog = (event: CustomEvent<EngineLogLine>) =>
      this.safeDispatchEvent('engine:log', { detail: { clusterId, line: event.detail } });
    engine.addEventListener('state', onState);
    engine.addEventListener('log', onLog);
    const detach = () => {
      engine.removeEventListener('state', onState);
      engine.removeEventListener('log', onLog);
    };
    this.#entries.set(clusterId, { engine, configKey, detach });
    await engine.start();
    return engine;
  }

  get(clusterId: string): Engine | undefined {
    return this.#entries.get(clusterId)?.engine;
  }

  /** Stops and forgets the cluster's engine (leaving a cluster, pausing). */
  async remove(clusterId: string): Promise<void> {
    const entry = this.#entries.get(clusterId);
    if (!entry) return;
    this.#entries.delete(clusterId);
    try {
      await entry.engine.stop();
    } finally {
      entry.detach();
    }
  }

  /** Every cluster's engine state, for status pages. */
  states(): Record<string, EngineState> {
    return Object.fromEntries(
      [...this.#entries].map(([clusterId, entry]) => [clusterId, entry.engine.state]),
    );
  }
}
