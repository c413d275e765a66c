// The ipc contract served by a real node (DESIGN.md §9): every call mapped onto the node's services, and
// notifications published whenever the node's status, its clusters' members, its engines or its ledger
// change. The same object backs `/api/ws` of the headless node and the desktop app's Electron IPC; a shell in
// front of the node (the desktop app) can take over what `/api/ws` serves, so both transports answer alike.
import { readFile } from 'node:fs/promises';
import {
  createNotificationHub,
  DEFAULT_SETTINGS,
  MICRO_PER_TOKEN_NUMBER,
  type ChatEstimate,
  type ChatModel,
  type ContractHandlers,
  type NotificationHub,
  type NotificationName,
  type NotificationPayload,
  type NotificationSource,
  type OnboardingStepId,
  type Settings,
} from '../../../src-shared/ipc/index.ts';
import { LedgerNotStartedError } from '../ledger/errors.ts';
import type { LedgerService } from '../ledger/ledger-service.ts';
import type { OpenGatewayNode } from '../node.ts';
import { ChatRequests, chatCost } from './chat-requests.ts';
import { balanceOf, earningsOf } from './earnings-view.ts';
import { createServedContract, type ContractFront } from './served-contract.ts';
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

/** What the contract reads of the node's ledger service. */
export type ContractLedger = Pick<
  LedgerService,
  'view' | 'account' | 'addEventListener' | 'removeEventListener'
>;

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
> & {
  /** The started ledger; null before it starts (the balance is then unknown). */
  readonly ledger: ContractLedger | null;
};

export interface NodeContractInit {
  /** `desktop`: the Electron shell in front adds idle-only mode, start at login and updates. */
  readonly shell?: 'headless' | 'desktop';
  /** Bugs (a handler or a publish that failed), to be logged with context. */
  readonly onInternalError?: (error: unknown, what: string) => void;
  /** How long ledger changes are gathered before the balance and earnings go out (a sync brings many). */
  readonly ledgerPublishDelayMs?: number;
}

export type { ContractFront } from './served-contract.ts';

export interface NodeContract {
  /** What the node's transports (`/api/ws`) serve: the node's own calls, or the front's once one is set. */
  readonly handlers: ContractHandlers<AbortSignal>;
  /** What the node's transports push: the node's own notifications, or the front's once one is set. */
  readonly notifications: NotificationSource;
  /** The node's own calls and notifications, whatever is served in front (a front builds on these). */
  readonly own: { readonly handlers: ContractHandlers<AbortSignal>; readonly notifications: NotificationHub };
  /**
   * Serve a shell's calls and notifications on the node's transports too (null: the node's own again), so a
   * pause from the node's browser dashboard goes through the same place as one from the desktop window.
   */
  serveFrom(front: ContractFront | null): void;
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
/** Entries of the `earnings` notification (a page asks for more with getEarnings). */
const NOTIFIED_EARNINGS = 50;
const DEFAULT_LEDGER_PUBLISH_DELAY_MS = 250;

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
    selfPeerId: () => node.report().peerId,
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

  const modelOf = (tier: string): string | null =>
    node.networkConfig?.tiers.find((candidate) => candidate.id === tier)?.engineModels.exo ?? null;

  /** The started ledger with what the contract needs to read it, or null while the balance is unknown. */
  const ledgerReader = () => {
    followLedger();
    const ledger = node.ledger;
    const config = node.networkConfig;
    if (ledger === null || config === null) return null;
    const minimum = BigInt(config.ledger.minBalanceToRequest) * BigInt(MICRO_PER_TOKEN_NUMBER);
    try {
      return { view: ledger.view, account: ledger.account, minimum };
    } catch (error) {
      // Stopped under us (the node is stopping): the balance is no longer known.
      if (error instanceof LedgerNotStartedError) return null;
      throw error;
    }
  };
  const balance = () => {
    const reader = ledgerReader();
    return reader && balanceOf(reader.view, reader.account, reader.minimum);
  };
  const earnings = (limit: number) => {
    const reader = ledgerReader();
    return reader && earningsOf(reader.view, reader.account, { limit, modelOf });
  };

  // The ledger appears once the node has started it: follow whichever one the node has now.
  let followedLedger: ContractLedger | null = null;
  let ledgerTimer: ReturnType<typeof setTimeout> | null = null;
  let closed = false;
  const publishLedger = (): void => {
    ledgerTimer = null;
    try {
      const current = balance();
      const recent = earnings(NOTIFIED_EARNINGS);
      if (current) publish('balance', current);
      if (recent) publish('earnings', recent);
    } catch (error) {
      onInternalError(error, 'publishing the balance');
    }
  };
  // Blocks arrive in bursts (a chat writes RESERVE and SETTLE, a sync many): publish once per burst, at most
  // once per delay even under steady traffic.
  const onLedgerChanged = (): void => {
    if (ledgerTimer !== null) return;
    ledgerTimer = setTimeout(publishLedger, init.ledgerPublishDelayMs ?? DEFAULT_LEDGER_PUBLISH_DELAY_MS);
    ledgerTimer.unref?.();
  };
  function followLedger(): void {
    const current = closed ? null : node.ledger;
    if (current === followedLedger) return;
    followedLedger?.removeEventListener('ledger:changed', onLedgerChanged);
    followedLedger = current;
    current?.addEventListener('ledger:changed', onLedgerChanged);
    if (current) onLedgerChanged();
  }

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
    followLedger();
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
    // Without a started ledger the balance is unknown, and the contract says so rather than show 0.
    getBalance: () => Promise.resolve(balance()),
    getEarnings: ({ limit }) => Promise.resolve(earnings(limit)),
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
      // Applies at once; the GPU memory share reaches the engine when it next starts (the UI says so).
      if (next.maxConcurrentRequests !== current.maxConcurrentRequests) {
        node.routing?.setCapacityPerTier(next.maxConcurrentRequests);
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

  const served = createServedContract({ handlers, notifications: hub });

  return {
    handlers: served.handlers,
    notifications: served.notifications,
    own: { handlers, notifications: hub },
    serveFrom: (front) => served.serveFrom(front),
    refresh,
    close() {
      chats.cancelAll();
      closed = true;
      if (ledgerTimer !== null) clearTimeout(ledgerTimer);
      ledgerTimer = null;
      followLedger();
      node.removeEventListener('status', onStatus);
      node.removeEventListener('member-change', scheduleRefresh);
      node.removeEventListener('engine:state', scheduleRefresh);
      node.removeEventListener('region', scheduleRefresh);
    },
  };
}
