// The ipc contract served by a real node (DESIGN.md §9): every call mapped onto the node's services, and
// notifications published whenever the node's status, its clusters' members or its engines change. The same
// object backs `/api/ws` of the headless node and the desktop app's Electron IPC.
import { readFile } from 'node:fs/promises';
import {
  createNotificationHub,
  DEFAULT_SETTINGS,
  type ChatEstimate,
  type ChatModel,
  type ContractHandlers,
  type NotificationHub,
  type NotificationName,
  type NotificationPayload,
  type OnboardingStepId,
  type Settings,
} from '../../../src-shared/ipc/index.ts';
import type { OpenGatewayNode } from '../node.ts';
import { ChatRequests, chatCost } from './chat-requests.ts';
import { NodeNotStartedError } from '../node-errors.ts';
import { SettingNotSupportedError, UnknownClusterError } from './errors.ts';
import {
  DEFAULT_NODE_SETTINGS,
  readNodeSettings,
  writeNodeSettings,
  type NodeSettings,
} from './node-settings.ts';
import {
  chatModelsOf,
  clusterMembersOf,
  clustersOf,
  onboardingOf,
  regionInfoOf,
  resourcesOf,
  type ModelOffer,
} from './node-views.ts';

/** What the contract needs of the node (the composition root passes itself). */
export type ContractNode = Pick<
  OpenGatewayNode,
  | 'locations'
  | 'networkConfig'
  | 'routing'
  | 'membership'
  | 'api'
  | 'profile'
  | 'report'
  | 'pause'
  | 'resume'
  | 'setRegion'
  | 'addEventListener'
  | 'removeEventListener'
>;

export interface NodeContractInit {
  /** `desktop`: the Electron shell in front adds idle-only mode, start at login and updates. */
  readonly shell?: 'headless' | 'desktop';
  /** Bugs (a handler or a publish that failed), to be logged with context. */
  readonly onInternalError?: (error: unknown, what: string) => void;
}

export interface NodeContract {
  readonly handlers: ContractHandlers<AbortSignal>;
  readonly notifications: NotificationHub;
  /** Publishes the node's current state now (otherwise it follows the node's events). */
  refresh(): void;
  /** Cancels running chats and stops following the node. */
  close(): void;
}

/** A rough count for the estimate before sending: about four characters per token, plus a few per message. */
function estimatePromptTokens(messages: readonly { readonly content: string }[]): number {
  return messages.reduce((sum, message) => sum + Math.ceil(message.content.length / 4) + 4, 0);
}
/** Replies are usually much shorter than the most they may be; this is what "typical" assumes. */
const TYPICAL_REPLY_TOKENS = 256;

export function createNodeContract(node: ContractNode, init: NodeContractInit = {}): NodeContract {
  const shell = init.shell ?? 'headless';
  const hub = createNotificationHub();
  const onInternalError = init.onInternalError ?? (() => {});
  let failedAt: OnboardingStepId | null = null;
  let lastStep: OnboardingStepId | null = null;
  let stored: NodeSettings | null = null;
  let desktopIdle = { idleOnly: DEFAULT_SETTINGS.idleOnly, idleMinutes: DEFAULT_SETTINGS.idleMinutes };
  const published = new Map<NotificationName, string>();

  const publish = <K extends NotificationName>(name: K, payload: NotificationPayload<K>): void => {
    // The UI re-renders on every notification: send a view only when it changed.
    const text = JSON.stringify(payload);
    if (name !== 'chat' && published.get(name) === text) return;
    try {
      hub.publish(name, payload);
      if (name !== 'chat') published.set(name, text);
    } catch (error) {
      onInternalError(error, `notification ${name}`);
    }
  };

  const chats = new ChatRequests({
    gateway: () => node.routing?.gateway ?? null,
    publish: (event) => publish('chat', event),
    onInternalError,
  });

  const offers = (): ModelOffer[] =>
    (node.networkConfig?.tiers ?? []).map((tier) => ({
      modelId: tier.engineModels.exo,
      tier: tier.id,
      label: tier.label,
      price: tier.price,
      examples: tier.exampleModels,
    }));

  const chatModels = (): ChatModel[] => {
    const servable = new Set((node.routing?.gateway.models() ?? []).map((model) => model.tier));
    return chatModelsOf(offers(), servable, node.report().region);
  };

  const settingsOf = (caps: NodeSettings): Settings => ({
    idleOnly: shell === 'desktop' ? desktopIdle.idleOnly : false,
    idleMinutes: desktopIdle.idleMinutes,
    gpuMemoryShare: caps.gpuMemoryShare,
    maxConcurrentRequests: caps.maxConcurrentRequests,
    // A headless node starts with the system (systemd or similar), not at a login.
    startAtLogin: shell === 'desktop' ? DEFAULT_SETTINGS.startAtLogin : null,
  });

  const loadSettings = async (): Promise<NodeSettings> => {
    stored ??= (await readNodeSettings(node.locations.settings)) ?? DEFAULT_NODE_SETTINGS;
    return stored;
  };

  let scheduled = false;
  const refresh = (): void => {
    scheduled = false;
    const report = node.report();
    const config = node.networkConfig;
    publish('status', report.state);
    publish('onboarding', onboardingOf(report, node.profile, failedAt));
    publish('resources', resourcesOf(node.profile, report, config));
    publish('region', regionInfoOf(report.region));
    publish('clusters', clustersOf(report, config));
    publish('chatModels', chatModels());
  };
  // Many events arrive together (a join changes status, members and engines at once): publish once for them.
  const scheduleRefresh = (): void => {
    if (scheduled) return;
    scheduled = true;
    setImmediate(() => {
      try {
        refresh();
      } catch (error) {
        scheduled = false;
        onInternalError(error, 'publishing the node state');
      }
    });
  };
  const onStatus = (event: CustomEvent<ReturnType<ContractNode['report']>['state']>): void => {
    const status = event.detail;
    if (status.status === 'onboarding') lastStep = status.step;
    failedAt = status.status === 'error' ? lastStep : null;
    scheduleRefresh();
  };
  node.addEventListener('status', onStatus);
  node.addEventListener('member-change', scheduleRefresh);
  node.addEventListener('engine:state', scheduleRefresh);
  node.addEventListener('region', scheduleRefresh);

  const started = <T>(value: T | null, what: string): T => {
    if (value === null)
      throw new NodeNotStartedError(`The node has not started yet, so ${what} is not known.`);
    return value;
  };

  const handlers: ContractHandlers<AbortSignal> = {
    getStatus: () => Promise.resolve(node.report().state),
    getOnboarding: () => Promise.resolve(onboardingOf(node.report(), node.profile, failedAt)),
    getResources: () => Promise.resolve(resourcesOf(node.profile, node.report(), node.networkConfig)),
    getRegion: () => Promise.resolve(regionInfoOf(node.report().region)),
    async setRegion({ region }) {
      const decision = await node.setRegion(region);
      stored = { ...(await loadSettings()), regionOverride: region };
      await writeNodeSettings(node.locations.settings, stored);
      scheduleRefresh();
      return regionInfoOf(decision);
    },
    getClusters: () => Promise.resolve(clustersOf(node.report(), node.networkConfig)),
    getClusterMembers({ clusterId }) {
      const cluster = node.report().clusters.find((candidate) => candidate.key === clusterId);
      if (cluster === undefined) throw new UnknownClusterError(`This node is not in ${clusterId}.`);
      return Promise.resolve(clusterMembersOf(cluster));
    },
    getEngineLogs({ clusterId, lines }) {
      const engine = node.routing?.engines.get(clusterId);
      return Promise.resolve({
        lines: (engine?.recentLog ?? []).slice(-lines).map((line) => line.slice(0, 2000)),
      });
    },
    // The ledger is not part of the node yet: the balance is unknown, and the contract says so.
    getBalance: () => Promise.resolve(null),
    getEarnings: () => Promise.resolve(null),
    getChatModels: () => Promise.resolve(chatModels()),
    estimateChat({ model, messages, maxTokens }) {
      const gateway = started(node.routing?.gateway ?? null, 'the price');
      const tier = gateway.resolve(model);
      const promptTokens = estimatePromptTokens(messages);
      const estimate: ChatEstimate = {
        promptTokens,
        maxCost: chatCost(tier.price, promptTokens, maxTokens),
        typicalCost: chatCost(tier.price, promptTokens, Math.min(maxTokens, TYPICAL_REPLY_TOKENS)),
      };
      return Promise.resolve(estimate);
    },
    sendChat(input, context) {
      chats.start(input, context.signal);
      return Promise.resolve({ requestId: input.requestId });
    },
    cancelChat: ({ requestId }) => Promise.resolve({ cancelled: chats.cancel(requestId) }),
    async getSettings() {
      return settingsOf(await loadSettings());
    },
    async updateSettings(patch) {
      if (shell === 'headless' && patch.idleOnly === true)
        throw new SettingNotSupportedError(
          'Idle-only mode needs the desktop app, which can tell when the computer is in use. On a server, pause and resume from here or on a schedule.',
        );
      if (patch.startAtLogin !== undefined && shell === 'headless')
        throw new SettingNotSupportedError(
          'A server node starts with the system (systemd or similar), not at a login.',
        );
      const current = await loadSettings();
      const next: NodeSettings = {
        ...current,
        ...(patch.maxConcurrentRequests !== undefined
          ? { maxConcurrentRequests: patch.maxConcurrentRequests }
          : {}),
        ...(patch.gpuMemoryShare !== undefined ? { gpuMemoryShare: patch.gpuMemoryShare } : {}),
      };
      if (shell === 'desktop')
        desktopIdle = {
          idleOnly: patch.idleOnly ?? desktopIdle.idleOnly,
          idleMinutes: patch.idleMinutes ?? desktopIdle.idleMinutes,
        };
      else if (patch.idleMinutes !== undefined)
        desktopIdle = { ...desktopIdle, idleMinutes: patch.idleMinutes };
      if (JSON.stringify(next) !== JSON.stringify(current)) {
        await writeNodeSettings(node.locations.settings, next);
        stored = next;
      }
      const settings = settingsOf(next);
      publish('settings', settings);
      return settings;
    },
    async pause({ reason }) {
      await node.pause(reason ?? 'user');
      scheduleRefresh();
      return node.report().state;
    },
    async resume() {
      await node.resume();
      scheduleRefresh();
      return node.report().state;
    },
    async getAppInfo() {
      const report = node.report();
      const api = node.api;
      const key = api
        ? await readFile(node.locations.apiKey, 'utf8').then(
            (text) => text.trim(),
            () => null,
          )
        : null;
      return {
        version: report.version.slice(0, 50),
        shell,
        dataDir: node.locations.dataDir.slice(0, 4096),
        localApi: api && key ? { url: api.url, key: key.slice(0, 200) } : null,
        network: report.networkId ? report.networkId.slice(0, 100) : null,
      };
    },
    getUpdateState: () =>
      Promise.resolve({
        state: 'unsupported',
        reason:
          shell === 'headless'
            ? 'A server node does not update itself: update it with your package manager or a new release.'
            : 'Updates are handled by the desktop app.',
      }),
    installUpdate() {
      throw new SettingNotSupportedError('This node cannot install updates itself.');
    },
  };

  return {
    handlers,
    notifications: hub,
    refresh,
    close() {
      chats.cancelAll();
      node.removeEventListener('status', onStatus);
      node.removeEventListener('member-change', scheduleRefresh);
      node.removeEventListener('engine:state', scheduleRefresh);
      node.removeEventListener('region', scheduleRefresh);
    },
  };
}
