// The renderer's one store: slices combined at the root; actions call the node through the contract client.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type {
  AppState,
  ChatSlice,
  ConnectionSlice,
  EarningsSlice,
  FirstRunSlice,
  NavigationSlice,
  NodeSlice,
  SettingsSlice,
} from './app-state.ts';
import type { ContractClient } from './contract-types.ts';
import { describeCallError } from './describe-call-error.ts';

type Set = StoreApi<AppState>['setState'];
type Get = StoreApi<AppState>['getState'];

/** Lets a slice's action run a call and report its failure in words, whatever the slice. */
async function attempt(set: Set, action: () => Promise<void>): Promise<void> {
  try {
    await action();
    set({ notice: null });
  } catch (error) {
    set({ notice: describeCallError(error) });
  }
}

function connectionSlice(set: Set): ConnectionSlice {
  return {
    connection: { state: 'connecting' },
    notice: null,
    dismissNotice: () => set({ notice: null }),
  };
}

function nodeSlice(set: Set, client: ContractClient): NodeSlice {
  const withBusy = async (action: () => Promise<void>): Promise<void> => {
    set({ busy: true });
    await attempt(set, action);
    set({ busy: false });
  };
  return {
    status: null,
    onboarding: [],
    resources: null,
    region: null,
    clusters: [],
    tierModels: [],
    busy: false,
    pause: () => withBusy(async () => set({ status: await client.call('pause', {}) })),
    resume: () => withBusy(async () => set({ status: await client.call('resume') })),
    setRegion: (region) => withBusy(async () => set({ region: await client.call('setRegion', { region }) })),
    clusterDetails: null,
    showClusterDetails: (clusterId) =>
      clusterId === null
        ? Promise.resolve(set({ clusterDetails: null }))
        : attempt(set, async () => {
            const [members, log] = await Promise.all([
              client.call('getClusterMembers', { clusterId }),
              client.call('getEngineLogs', { clusterId, lines: 50 }),
            ]);
            set({ clusterDetails: { clusterId, members, engineLog: log.lines } });
          }),
  };
}

function earningsSlice(): EarningsSlice {
  return { balance: null, earnings: null };
}

/** Random, URL-safe and long enough that two windows never collide. */
function newRequestId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function chatSlice(set: Set, get: Get, client: ContractClient): ChatSlice {
  const request = () => {
    const { selectedModel, conversation, draft, maxTokens } = get();
    if (!selectedModel) return null;
    const messages = [...conversation, { role: 'user' as const, content: draft }].map(
      ({ role, content }) => ({
        role,
        content,
      }),
    );
    return { model: selectedModel, messages, maxTokens };
  };
  return {
    models: [],
    selectedModel: null,
    conversation: [],
    draft: '',
    maxTokens: 512,
    estimate: null,
    active: null,
    chatNotice: null,
    selectModel: (id) => set({ selectedModel: id, estimate: null }),
    setDraft: (text) => set({ draft: text }),
    async refreshEstimate() {
      const input = request();
      if (!input || get().draft.trim() === '') {
        set({ estimate: null });
        return;
      }
      try {
        const estimate = await client.call('estimateChat', input);
        // A newer draft may have been typed meanwhile; the next refresh will cover it.
        set({ estimate });
      } catch {
        set({ estimate: null });
      }
    },
    async send() {
      const input = request();
      if (!input || get().active || get().draft.trim() === '') return;
      const requestId = newRequestId();
      const last = input.messages.at(-1);
      set({
        active: { requestId, text: '', phase: 'sending', queuePosition: null },
        conversation: last ? [...get().conversation, last] : get().conversation,
        draft: '',
        estimate: null,
        chatNotice: null,
      });
      try {
        await client.call('sendChat', { requestId, ...input });
      } catch (error) {
        if (get().active?.requestId === requestId)
          set({ active: null, chatNotice: { reason: 'error', message: describeCallError(error) } });
      }
    },
    async stop() {
      const active = get().active;
      if (!active) return;
      await attempt(set, async () => {
        await client.call('cancelChat', { requestId: active.requestId });
      });
    },
    clearConversation: () => set({ conversation: [], chatNotice: null }),
  };
}

function settingsSlice(set: Set, get: Get, client: ContractClient): SettingsSlice {
  return {
    settings: null,
    engines: null,
    // The engine restarts with the choice: the node's answer (and its notifications) say what serves now.
    setTierEngine: (tier, choice) =>
      attempt(set, async () => set({ engines: await client.call('setTierEngine', { tier, choice }) })),
    setEngineServer: (server) =>
      attempt(set, async () => set({ engines: await client.call('setEngineServer', { server }) })),
    appInfo: null,
    update: null,
    // Optimistic, so controls respond at once; the node's answer (or a re-read after a failure) wins.
    updateSettings: async (patch) => {
      const current = get().settings;
      if (current) set({ settings: { ...current, ...patch } });
      await attempt(set, async () => set({ settings: await client.call('updateSettings', patch) }));
      if (get().notice !== null) set({ settings: await client.call('getSettings').catch(() => current) });
    },
    installUpdate: () => attempt(set, () => client.call('installUpdate').then(() => undefined)),
  };
}

function navigationSlice(set: Set): NavigationSlice {
  return { page: 'overview', goTo: (page) => set({ page }) };
}

function firstRunSlice(set: Set, client: ContractClient): FirstRunSlice {
  return {
    firstRun: null,
    firstRunView: null,
    completeFirstRun: (answer) =>
      attempt(set, async () => {
        const firstRun = await client.call('completeFirstRun', answer);
        // The pause or resume it caused shows at once (notifications follow too).
        set({ firstRun, firstRunView: 'setup', status: await client.call('getStatus') });
      }),
    finishFirstRun: () => set({ firstRunView: null, page: 'overview' }),
  };
}

export type AppStore = StoreApi<AppState>;

export function createAppStore(client: ContractClient): AppStore {
  return createStore<AppState>()((set, get) => ({
    ...connectionSlice(set),
    ...nodeSlice(set, client),
    ...earningsSlice(),
    ...chatSlice(set, get, client),
    ...settingsSlice(set, get, client),
    ...navigationSlice(set),
    ...firstRunSlice(set, client),
  }));
}
