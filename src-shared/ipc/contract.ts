// The one contract between the node and any UI (CONVENTIONS.md practice 1). The Electron IPC handlers, the
// preload's `api`, the WebSocket transport and the renderer's client are all derived from these two maps.
import { appInfoSchema, updateStateSchema } from './app-info.ts';
import {
  chatCancelInputSchema,
  chatCancelOutputSchema,
  chatEstimateInputSchema,
  chatEstimateSchema,
  chatEventSchema,
  chatModelsSchema,
  chatSendInputSchema,
  chatSendOutputSchema,
} from './chat.ts';
import {
  clusterMembersInputSchema,
  clusterMembersSchema,
  clustersSchema,
  engineLogsInputSchema,
  engineLogsSchema,
} from './clusters.ts';
import { enginesSchema, setEngineServerInputSchema, setTierEngineInputSchema } from './engines.ts';
import { balanceSchema, earningsInputSchema, earningsSchema } from './earnings.ts';
import { completeFirstRunInputSchema, firstRunSchema } from './first-run.ts';
import { nodeStatusSchema, onboardingSchema, pauseInputSchema } from './node-status.ts';
import { regionInfoSchema, setRegionInputSchema } from './region.ts';
import { resourcesSchema } from './resources.ts';
import { tierModelsSchema } from './models.ts';
import { none, nullable, type Infer, type Schema } from './schema.ts';
import { settingsPatchSchema, settingsSchema } from './settings.ts';

interface CallSpec {
  readonly input: Schema<unknown>;
  readonly output: Schema<unknown>;
}

function call<I, O>(
  input: Schema<I>,
  output: Schema<O>,
): { readonly input: Schema<I>; readonly output: Schema<O> } {
  return { input, output };
}

/** Request/response calls a UI makes to the node. */
export const IPC_CALLS = {
  getStatus: call(none, nodeStatusSchema),
  getOnboarding: call(none, onboardingSchema),
  getResources: call(none, resourcesSchema),
  getRegion: call(none, regionInfoSchema),
  /** Override the detected region (or remove the override with `region: null`); the node re-onboards. */
  setRegion: call(setRegionInputSchema, regionInfoSchema),
  getClusters: call(none, clustersSchema),
  getClusterMembers: call(clusterMembersInputSchema, clusterMembersSchema),
  getEngineLogs: call(engineLogsInputSchema, engineLogsSchema),
  /** Each tier's model on this node: downloading (bar, size, time left), verifying, ready, or why not. */
  getTierModels: call(none, tierModelsSchema),
  /** Per tier: which engine serves it and why, and the contributor's choice. */
  getEngines: call(none, enginesSchema),
  /** Choose a tier's engine (`auto`: the node decides); applies at once (the tier's engine restarts). */
  setTierEngine: call(setTierEngineInputSchema, enginesSchema),
  /** The OpenAI-compatible server tiers may be served by (null clears it; its tiers go back to auto). */
  setEngineServer: call(setEngineServerInputSchema, enginesSchema),
  /** Null while this node keeps no ledger: the balance is not known, and no number is made up. */
  getBalance: call(none, nullable(balanceSchema)),
  /** Null for the same reason as getBalance. */
  getEarnings: call(earningsInputSchema, nullable(earningsSchema)),
  getChatModels: call(none, chatModelsSchema),
  estimateChat: call(chatEstimateInputSchema, chatEstimateSchema),
  /** Starts a request; its reply arrives as `chat` notifications carrying the same requestId. */
  sendChat: call(chatSendInputSchema, chatSendOutputSchema),
  cancelChat: call(chatCancelInputSchema, chatCancelOutputSchema),
  getSettings: call(none, settingsSchema),
  updateSettings: call(settingsPatchSchema, settingsSchema),
  /** Stop contributing (leave clusters, stop engines); chatting keeps working. */
  pause: call(pauseInputSchema, nodeStatusSchema),
  resume: call(none, nodeStatusSchema),
  getAppInfo: call(none, appInfoSchema),
  getUpdateState: call(none, updateStateSchema),
  /** Quit and install a downloaded update now (desktop only). */
  installUpdate: call(none, none),
  /** Whether the welcome was answered, and how. */
  getFirstRun: call(none, firstRunSchema),
  /** The welcome's answer: declining consent pauses contributing (the node then serves nobody). */
  completeFirstRun: call(completeFirstRunInputSchema, firstRunSchema),
} as const satisfies Readonly<Record<string, CallSpec>>;

/** Pushes from the node to every connected UI. */
export const IPC_NOTIFICATIONS = {
  status: nodeStatusSchema,
  onboarding: onboardingSchema,
  resources: resourcesSchema,
  region: regionInfoSchema,
  clusters: clustersSchema,
  tierModels: tierModelsSchema,
  engines: enginesSchema,
  balance: balanceSchema,
  earnings: earningsSchema,
  chatModels: chatModelsSchema,
  chat: chatEventSchema,
  settings: settingsSchema,
  update: updateStateSchema,
} as const satisfies Readonly<Record<string, Schema<unknown>>>;

export type CallName = keyof typeof IPC_CALLS;
export type CallInput<K extends CallName> = Infer<(typeof IPC_CALLS)[K]['input']>;
export type CallOutput<K extends CallName> = Infer<(typeof IPC_CALLS)[K]['output']>;

export type NotificationName = keyof typeof IPC_NOTIFICATIONS;
export type NotificationPayload<K extends NotificationName> = Infer<(typeof IPC_NOTIFICATIONS)[K]>;
export type Notification = {
  [K in NotificationName]: { readonly name: K; readonly payload: NotificationPayload<K> };
}[NotificationName];

export const CALL_NAMES = Object.keys(IPC_CALLS) as readonly CallName[];
export const NOTIFICATION_NAMES = Object.keys(IPC_NOTIFICATIONS) as readonly NotificationName[];

export function isCallName(value: unknown): value is CallName {
  return typeof value === 'string' && Object.hasOwn(IPC_CALLS, value);
}

export function isNotificationName(value: unknown): value is NotificationName {
  return typeof value === 'string' && Object.hasOwn(IPC_NOTIFICATIONS, value);
}

/**
 * The part of an AbortSignal this pure module can name (src-shared has no DOM or Node types). Transports
 * pass a real AbortSignal, so handlers written in src-main use `ContractHandlers<AbortSignal>`.
 */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason: unknown;
}

/** Passed to every handler: aborted when the caller disconnects or the app shuts down. */
export interface CallContext<Signal extends AbortSignalLike = AbortSignalLike> {
  readonly signal: Signal;
}

/**
 * What the node (or the desktop shell in front of it) implements: one async function per call, receiving
 * an already validated input. Throw an `ExpectedError` for anything the user should read.
 */
export type ContractHandlers<Signal extends AbortSignalLike = AbortSignalLike> = {
  readonly [K in CallName]: (input: CallInput<K>, context: CallContext<Signal>) => Promise<CallOutput<K>>;
};
