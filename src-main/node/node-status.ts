// The node's state as a union, and the report `GET /api/status` and `opengateway-node status` show.
import type { ModelState } from '../../src-shared/ipc/models.ts';
import type { RegionDecision } from '../../src-shared/regions/index.ts';
import type { TierQualification } from '../../src-shared/tiers/index.ts';
import type { EngineKind, EngineState } from './engine/engine.ts';
import type { TierEngineView } from './routing/tier-engines.ts';
import type { EngineServer } from './settings/node-settings.ts';
import type { ClusterSnapshot } from './membership/membership-service.ts';

/** The node's lifecycle (same shape as the ipc contract's NodeStatus). */
export type NodeStatus =
  | { readonly status: 'starting' }
  | { readonly status: 'onboarding'; readonly step: OnboardingStepId }
  | { readonly status: 'ready'; readonly clusters: number; readonly since: number }
  | {
      readonly status: 'paused';
      readonly reason: 'user' | 'waiting-for-idle';
      readonly since: number;
      /** Requests taken before the pause, still finishing; set by the report, never by the lifecycle. */
      readonly finishingRequests?: number;
    }
  | { readonly status: 'offline'; readonly message: string; readonly retryAt: number | null }
  | {
      readonly status: 'looking-for-peers';
      readonly since: number;
      /** How the node looks for peers, one line each ("DNS name x not resolved: local-only mode"). */
      readonly tried: string[];
      /** When the next bootstrap dial is due; null when there is nothing to dial (waiting to be found). */
      readonly nextAttemptAt: number | null;
    }
  | { readonly status: 'error'; readonly message: string };

export type OnboardingStepId = 'identity' | 'profile' | 'geo' | 'qualify' | 'join' | 'engines' | 'heartbeat';

/** What `GET /api/status` returns and `opengateway-node status` prints. */
export interface NodeStatusReport {
  readonly version: string;
  readonly peerId: string | null;
  readonly networkId: string | null;
  readonly state: NodeStatus;
  readonly region: RegionDecision | null;
  readonly listenAddresses: readonly string[];
  readonly connections: number;
  readonly tiers: readonly TierQualification[];
  readonly clusters: readonly ClusterSnapshot[];
  /** The engine of each served cluster (`asia/model-a` → state). */
  readonly engines: Readonly<Record<string, EngineState>>;
  /** The kind of engine this node serves with; `simulated` on devnets (never real inference). */
  readonly engine: { readonly kind: EngineKind; readonly simulated: boolean } | null;
  /** Every network tier's engine: which serves it and why (chosen in Settings, EXO found, …). */
  readonly tierEngines: Readonly<Record<string, TierEngineView>>;
  /** The OpenAI-compatible server from Settings, and whether EXO is installed (what Settings may offer). */
  readonly engineOptions: { readonly server: EngineServer | null; readonly exoInstalled: boolean } | null;
  readonly rejectedHeartbeats: number;
  /** Each catalog tier's model for the built-in engine: downloading, ready, failed and why. */
  readonly models: Readonly<Record<string, ModelState>>;
  /** While paused: requests in flight still finishing (the tray says "finishing 2 requests…"). */
  readonly finishingRequests?: number;
}
