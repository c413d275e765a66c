// What the node's faces (the local API, the UI contract, the desktop shell) may ask of a running node. The
// core declares it and OpenGatewayNode implements it, so faces sit above the core and never reach into its
// services (DESIGN.md §2: a lower layer that must be called from above declares the interface).
import type { TypedEventTarget } from '@libp2p/interface';
import type { ModelState } from '../../src-shared/ipc/models.ts';
import type { NetworkConfig } from '../../src-shared/network-config/index.ts';
import type { RegionDecision, RegionId } from '../../src-shared/regions/index.ts';
import type { ResourceProfile } from '../../src-shared/tiers/index.ts';
import type { EngineState } from './engine/engine.ts';
import type { LedgerService } from './ledger/ledger-service.ts';
import type { Locations } from './locations.ts';
import type { MemberChange } from './membership/member-change.ts';
import type { NodeStatus, NodeStatusReport } from './node-status.ts';
import type { ChatGateway } from './routing/chat-gateway.ts';
import type { EngineServer, NodeSettings } from './settings/node-settings.ts';
import type { TierEngineChoice } from './routing/tier-engines.ts';
import type { NodeSettingsPatch } from './settings/node-settings-store.ts';

export type { NodeSettings } from './settings/node-settings.ts';
export type { NodeSettingsPatch } from './settings/node-settings-store.ts';
export type { NodeStatus, NodeStatusReport, OnboardingStepId } from './node-status.ts';

/** The typed events a running node publishes. */
export interface RunningNodeEvents {
  status: CustomEvent<NodeStatus>;
  'member-change': CustomEvent<MemberChange>;
  'engine:state': CustomEvent<{ readonly clusterId: string; readonly state: EngineState }>;
  /** The region or how it was decided changed (a re-join follows when the region itself changed). */
  region: CustomEvent<RegionDecision>;
  /** A tier's model moved on (download progress, verified, failed). */
  'model:state': CustomEvent<{ readonly tier: string; readonly state: ModelState }>;
}

/** Read-only access to the node's ledger (its own account, the view, and when it changes). */
export type LedgerReader = Pick<
  LedgerService,
  | 'view'
  | 'account'
  | 'summary'
  | 'summaryOf'
  | 'history'
  | 'heldAhead'
  | 'reputation'
  | 'addEventListener'
  | 'removeEventListener'
>;

export interface RunningNode extends TypedEventTarget<RunningNodeEvents> {
  readonly locations: Locations;
  /** Null until the node has loaded it. */
  readonly networkConfig: NetworkConfig | null;
  /** What this machine has (null until the first scan). */
  readonly profile: ResourceProfile | null;
  /** The chat gateway of the node's routing (null until routing started). */
  readonly chatGateway: ChatGateway | null;
  /** The node's ledger; null before it started (the balance is then unknown). */
  readonly ledger: LedgerReader | null;
  report(): NodeStatusReport;
  /** The newest lines of the engine serving `clusterId` (empty when none does). */
  engineLog(clusterId: string): readonly string[];
  /** Takes this data directory for this node (throws NodeAlreadyRunningError); start() does it too. */
  claimDataDir(): Promise<void>;
  start(options?: { signal?: AbortSignal }): Promise<void>;
  stop(): Promise<void>;
  pause(reason?: 'user' | 'waiting-for-idle'): Promise<void>;
  resume(): Promise<void>;
  /** The user's region choice (null: detect it again), remembered in the settings. */
  setRegion(region: RegionId | null): Promise<RegionDecision>;
  settings(): Promise<NodeSettings>;
  /** Remembers the caps and applies what can apply at once (capacity now, GPU share at the next engine start). */
  updateSettings(patch: NodeSettingsPatch): Promise<NodeSettings>;
  /** The engine for one tier (`auto`: the node's own), applied at once (the tier's engine restarts). */
  setTierEngine(tier: string, choice: TierEngineChoice): Promise<NodeSettings>;
  /** The OpenAI-compatible server tiers may be served by; null clears it. */
  setEngineServer(server: EngineServer | null): Promise<NodeSettings>;
}
