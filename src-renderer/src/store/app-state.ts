// The shape of the renderer's one store, built from slices (zustand's slices pattern).
import type {
  AppInfo,
  Balance,
  ChatEstimate,
  ChatFailure,
  ChatMessage,
  ChatModel,
  ClusterMember,
  ClusterView,
  Earnings,
  Engines,
  EngineServerView,
  FirstRun,
  NodeStatus,
  OnboardingStep,
  RegionId,
  RegionInfo,
  Resources,
  Settings,
  SettingsPatch,
  TierModel,
  UpdateState,
} from './contract-types.ts';

export type ConnectionView =
  | { readonly state: 'connecting' }
  | { readonly state: 'connected' }
  | { readonly state: 'disconnected'; readonly reason: string; readonly attempts: number }
  | { readonly state: 'needs-key' }
  | { readonly state: 'no-node'; readonly reason: string };

export interface ConnectionSlice {
  readonly connection: ConnectionView;
  /** The last call that failed, in words for a person; cleared by the next success or by dismissing it. */
  readonly notice: string | null;
  readonly dismissNotice: () => void;
}

export interface NodeSlice {
  readonly status: NodeStatus | null;
  readonly onboarding: readonly OnboardingStep[];
  readonly resources: Resources | null;
  readonly region: RegionInfo | null;
  readonly clusters: readonly ClusterView[];
  /** Each tier's model on this node (downloading, verifying, ready, failed). */
  readonly tierModels: readonly TierModel[];
  /** The cluster whose members and engine log are open, if any. */
  readonly clusterDetails: ClusterDetails | null;
  /** A pause/resume/region change is on its way: the buttons wait for it. */
  readonly busy: boolean;
  readonly pause: () => Promise<void>;
  readonly resume: () => Promise<void>;
  readonly setRegion: (region: RegionId | null) => Promise<void>;
  readonly showClusterDetails: (clusterId: string | null) => Promise<void>;
}

export interface ClusterDetails {
  readonly clusterId: string;
  readonly members: readonly ClusterMember[];
  readonly engineLog: readonly string[];
}

export interface EarningsSlice {
  readonly balance: Balance | null;
  readonly earnings: Earnings | null;
}

export type ChatTurn = ChatMessage & { readonly cost?: number };

export type ActiveChat = {
  readonly requestId: string;
  readonly text: string;
  readonly phase: 'sending' | 'queued' | 'streaming';
  readonly queuePosition: number | null;
};

export interface ChatNotice {
  readonly reason: ChatFailure | 'error';
  readonly message: string;
}

export interface ChatSlice {
  readonly models: readonly ChatModel[];
  readonly selectedModel: string | null;
  readonly conversation: readonly ChatTurn[];
  readonly draft: string;
  readonly maxTokens: number;
  readonly estimate: ChatEstimate | null;
  readonly active: ActiveChat | null;
  readonly chatNotice: ChatNotice | null;
  readonly selectModel: (id: string) => void;
  readonly setDraft: (text: string) => void;
  readonly refreshEstimate: () => Promise<void>;
  readonly send: () => Promise<void>;
  readonly stop: () => Promise<void>;
  readonly clearConversation: () => void;
}

export interface SettingsSlice {
  readonly settings: Settings | null;
  /** Per tier: which engine serves it, why, and the contributor's choice. */
  readonly engines: Engines | null;
  readonly setTierEngine: (tier: string, choice: Engines['tiers'][number]['choice']) => Promise<void>;
  readonly setEngineServer: (server: EngineServerView | null) => Promise<void>;
  readonly appInfo: AppInfo | null;
  readonly update: UpdateState | null;
  readonly updateSettings: (patch: SettingsPatch) => Promise<void>;
  readonly installUpdate: () => Promise<void>;
}

/** The welcome (not answered yet), then the setup watched live, then the pages. */
export type FirstRunView = 'welcome' | 'setup' | null;

export interface FirstRunSlice {
  readonly firstRun: FirstRun | null;
  readonly firstRunView: FirstRunView;
  /** Sends the welcome's answers, then shows the setup steps. */
  readonly completeFirstRun: (answer: { contribute: boolean; startAtLogin: boolean }) => Promise<void>;
  /** Leaves the setup view for the Overview. */
  readonly finishFirstRun: () => void;
}

export type PageId = 'overview' | 'earnings' | 'chat' | 'settings';

export interface NavigationSlice {
  readonly page: PageId;
  readonly goTo: (page: PageId) => void;
}

export type AppState = ConnectionSlice &
  NodeSlice &
  EarningsSlice &
  ChatSlice &
  SettingsSlice &
  NavigationSlice &
  FirstRunSlice;
