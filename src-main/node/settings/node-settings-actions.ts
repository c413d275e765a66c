// What the contributor changes on a running node (Settings, the tray, the CLI): each change is stored in the
// settings file and applied to the running services at once. The node hands its services over as accessors
// because they come and go with start and stop.
import type { NetworkConfig } from '../../../src-shared/network-config/index.ts';
import type { RegionDecision, RegionId } from '../../../src-shared/regions/index.ts';
import type { GeoService } from '../geo/geo-service.ts';
import { NodeNotStartedError } from '../node-errors.ts';
import type { RoutingService } from '../routing/routing-service.ts';
import type { TierEngineChoice } from '../routing/tier-engines.ts';
import type { WeightsService } from '../weights/weights-service.ts';
import { withEngineServer, withTierEngine } from './engine-choices.ts';
import type { EngineServer, NodeSettings } from './node-settings.ts';
import type { NodeSettingsPatch, NodeSettingsStore } from './node-settings-store.ts';

export interface NodeSettingsParts {
  readonly store: NodeSettingsStore;
  readonly config: () => NetworkConfig | null;
  readonly geo: () => GeoService | null;
  readonly routing: () => RoutingService | null;
  readonly weights: () => WeightsService | null;
  /** An upload cap the node was started with (tests, benches) wins over the contributor's. */
  readonly uploadCapFixed: boolean;
  /** Re-plan the tiers of the current region (after an engine choice changed). */
  readonly rejoin: () => Promise<void>;
}

export class NodeSettingsActions {
  readonly #parts: NodeSettingsParts;

  constructor(parts: NodeSettingsParts) {
    this.#parts = parts;
  }

  read(): Promise<NodeSettings> {
    return this.#parts.store.read();
  }

  /** The user's region choice (null: detect it again); the node re-joins when the region changes. */
  async setRegion(region: RegionId | null): Promise<RegionDecision> {
    const geo = this.#parts.geo();
    if (geo === null)
      throw new NodeNotStartedError('the node has not decided its region yet; try again shortly');
    await geo.setOverride(region);
    await this.#parts.store.update({ regionOverride: region });
    return geo.decision;
  }

  async update(patch: NodeSettingsPatch): Promise<NodeSettings> {
    const { previous, next } = await this.#parts.store.update(patch);
    // Applies at once; the GPU memory share reaches the engine when it next starts (the UI says so).
    if (next.maxConcurrentRequests !== previous.maxConcurrentRequests)
      this.#parts.routing()?.setCapacityPerTier(next.maxConcurrentRequests);
    if (next.uploadBytesPerSecond !== undefined && !this.#parts.uploadCapFixed)
      this.#parts.weights()?.setUploadCap(next.uploadBytesPerSecond);
    return next;
  }

  /**
   * The contributor's engine for `tier` (`auto`: the node's own). Applies at once: the node re-plans its tiers
   * and the tier's engine restarts with the new one (a built-in tier first fetches its model).
   */
  async setTierEngine(tier: string, choice: TierEngineChoice): Promise<NodeSettings> {
    const routing = this.#parts.routing();
    const config = this.#parts.config();
    if (routing === null || config === null)
      throw new NodeNotStartedError('The node has not started its engines yet; try again shortly.');
    const current = await this.#parts.store.read();
    const { next } = await this.#parts.store.update(
      withTierEngine(current, tier, choice, { config, engines: routing.tierEngines }),
    );
    await this.#applyEngineChoices(next);
    return next;
  }

  /** The OpenAI-compatible server tiers may be served by (null clears it: its tiers go back to `auto`). */
  async setEngineServer(server: EngineServer | null): Promise<NodeSettings> {
    const store = this.#parts.store;
    const { next } = await store.update(withEngineServer(await store.read(), server));
    await this.#applyEngineChoices(next);
    return next;
  }

  async #applyEngineChoices(settings: NodeSettings): Promise<void> {
    const routing = this.#parts.routing();
    if (routing === null) return;
    routing.setChosenEngines(settings.tierEngines, settings.engineServer);
    await this.#parts.rejoin();
  }
}
