// The contract's calls, mapped onto what a running node offers (RunningNode): views of its report, chats
// through its gateway, settings through the node (their one owner), pause and resume.
import {
  DEFAULT_SETTINGS,
  type ChatEstimate,
  type ContractHandlers,
  type Settings,
} from '../../../../src-shared/ipc/index.ts';
import { promptTokenCount } from '../../../../src-shared/protocol/prompt-token-count.ts';
import { NodeNotStartedError } from '../../node-errors.ts';
import type { NodeSettings, RunningNode } from '../../running-node.ts';
import { chatCost, type ChatRequests } from './chat-requests.ts';
import type { ContractPublisher } from './contract-publisher.ts';
import { SettingNotSupportedError, UnknownClusterError } from './errors.ts';
import { readFirstRun, writeFirstRun } from '../../onboarding/first-run-record.ts';
import {
  clusterMembersOf,
  clustersOf,
  enginesOf,
  onboardingOf,
  regionInfoOf,
  resourcesOf,
  tierModelsOf,
} from './node-views.ts';

/** Who shows the UI: the desktop shell in front adds idle-only mode, start at login and updates. */
export type NodeShell = 'headless' | 'desktop';

/** Where the local API listens and its key, once it does. */
export interface LocalApiAccess {
  readonly url: string;
  readonly key: string;
}

export interface ContractHandlersInit {
  readonly node: RunningNode;
  readonly publisher: ContractPublisher;
  readonly chats: ChatRequests;
  readonly shell: NodeShell;
  readonly localApi: () => LocalApiAccess | null;
}

/** Replies are usually much shorter than the most they may be; this is what "typical" assumes. */
const TYPICAL_REPLY_TOKENS = 256;

export function createContractHandlers(init: ContractHandlersInit): ContractHandlers<AbortSignal> {
  const { node, publisher, chats, shell } = init;

  // The node's own view of the settings: idle-only mode and start at login belong to the desktop shell, which
  // answers these calls itself in front of the node.
  const settingsOf = (caps: NodeSettings): Settings => ({
    idleOnly: false,
    idleMinutes: DEFAULT_SETTINGS.idleMinutes,
    gpuMemoryShare: caps.gpuMemoryShare,
    maxConcurrentRequests: caps.maxConcurrentRequests,
    uploadBytesPerSecond: caps.uploadBytesPerSecond ?? DEFAULT_SETTINGS.uploadBytesPerSecond,
    // A headless node starts with the system (systemd or similar), not at a login.
    startAtLogin: shell === 'desktop' ? DEFAULT_SETTINGS.startAtLogin : null,
  });

  return {
    getStatus: () => Promise.resolve(node.report().state),
    getOnboarding: () => Promise.resolve(onboardingOf(node.report(), node.profile, publisher.failedAt)),
    getResources: () => Promise.resolve(resourcesOf(node.profile, node.report(), node.networkConfig)),
    getRegion: () => Promise.resolve(regionInfoOf(node.report().region)),
    async setRegion({ region }) {
      const decision = await node.setRegion(region);
      publisher.scheduleRefresh();
      return regionInfoOf(decision);
    },
    getClusters: () => Promise.resolve(clustersOf(node.report(), node.networkConfig)),
    getTierModels: () => Promise.resolve(tierModelsOf(node.report())),
    getEngines: () => Promise.resolve(enginesOf(node.report(), node.networkConfig)),
    async setTierEngine({ tier, choice }) {
      await node.setTierEngine(tier, choice);
      const engines = enginesOf(node.report(), node.networkConfig);
      publisher.publish('engines', engines);
      publisher.scheduleRefresh();
      return engines;
    },
    async setEngineServer({ server }) {
      await node.setEngineServer(server);
      const engines = enginesOf(node.report(), node.networkConfig);
      publisher.publish('engines', engines);
      publisher.scheduleRefresh();
      return engines;
    },
    getClusterMembers({ clusterId }) {
      const cluster = node.report().clusters.find((candidate) => candidate.key === clusterId);
      if (cluster === undefined) throw new UnknownClusterError(`This node is not in ${clusterId}.`);
      return Promise.resolve(clusterMembersOf(cluster));
    },
    getEngineLogs({ clusterId, lines }) {
      return Promise.resolve({
        lines: node
          .engineLog(clusterId)
          .slice(-lines)
          .map((line) => line.slice(0, 2000)),
      });
    },
    // Without a started ledger the balance is unknown, and the contract says so rather than show 0.
    getBalance: () => Promise.resolve(publisher.balance()),
    getEarnings: ({ limit }) => Promise.resolve(publisher.earnings(limit)),
    getChatModels: () => Promise.resolve(publisher.chatModels()),
    estimateChat({ model, messages, maxTokens }) {
      const gateway = node.chatGateway;
      if (gateway === null)
        throw new NodeNotStartedError('The node has not started yet, so the price is not known.');
      const tier = gateway.resolve(model);
      // The network's count of the prompt: the most any worker may bill for it (security finding 16).
      const promptTokens = promptTokenCount({
        messages: messages.map(({ role, content }) => ({ role, content })),
      });
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
      return settingsOf(await node.settings());
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
      const next = await node.updateSettings({
        ...(patch.maxConcurrentRequests !== undefined
          ? { maxConcurrentRequests: patch.maxConcurrentRequests }
          : {}),
        ...(patch.gpuMemoryShare !== undefined ? { gpuMemoryShare: patch.gpuMemoryShare } : {}),
        ...(patch.uploadBytesPerSecond !== undefined
          ? { uploadBytesPerSecond: patch.uploadBytesPerSecond }
          : {}),
      });
      const settings = settingsOf(next);
      publisher.publish('settings', settings);
      return settings;
    },
    async pause({ reason }) {
      await node.pause(reason ?? 'user');
      publisher.scheduleRefresh();
      return node.report().state;
    },
    async resume() {
      await node.resume();
      publisher.scheduleRefresh();
      return node.report().state;
    },
    getAppInfo() {
      const report = node.report();
      const api = init.localApi();
      return Promise.resolve({
        version: report.version.slice(0, 50),
        shell,
        dataDir: node.locations.dataDir.slice(0, 4096),
        localApi: api ? { url: api.url, key: api.key.slice(0, 200) } : null,
        network: report.networkId ? report.networkId.slice(0, 100) : null,
      });
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
    getFirstRun: () => readFirstRun(node.locations.dataDir),
    async completeFirstRun({ contribute }) {
      const answer = await writeFirstRun(node.locations.dataDir, contribute);
      // Declined: this computer serves nobody (chatting still works). Agreed: contributing starts now.
      if (!contribute && node.report().state.status !== 'paused') await node.pause('user');
      if (contribute && node.report().state.status === 'paused') await node.resume();
      publisher.scheduleRefresh();
      return answer;
    },
  };
}
