// The contract's types as the renderer uses them (re-exported so slices import from one place).
export type {
  AppInfo,
  Balance,
  ChatEstimate,
  ChatEvent,
  ChatFailure,
  ChatMessage,
  ChatModel,
  ClusterView,
  ContractClient,
  Earnings,
  EarningsEntry,
  NodeStatus,
  Notification,
  OnboardingStep,
  RegionInfo,
  Resources,
  Settings,
  SettingsPatch,
  TierQualification,
  UpdateState,
} from '../../../src-shared/ipc/index.ts';
export type { RegionId } from '../../../src-shared/regions/index.ts';
