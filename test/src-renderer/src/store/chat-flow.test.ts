import { describe, expect, it } from 'vitest';
import { createAppStore } from '../../../../src-renderer/src/store/create-app-store.ts';
import { followNotifications, loadSnapshot } from '../../../../src-renderer/src/store/load-snapshot.ts';
import { selectCanSend, selectLowBalanceMessage } from '../../../../src-renderer/src/store/selectors.ts';
import {
  createContractClient,
  dispatchCall,
  type ContractHandlers,
  type ContractTransport,
  type NotificationSource,
  type RawNotification,
} from '../../../../src-shared/ipc/index.ts';
import { createInMemoryNode, FIXTURE_REPLY } from '../../../../e2e/fixture/in-memory-node.ts';

/** The contract in-process: the real dispatcher and client, no socket in between. */
function inProcessTransport(
  handlers: ContractHandlers,
  notifications: NotificationSource,
): ContractTransport {
  const signal = new AbortController().signal;
  return {
    call: (name, input) => dispatchCall(handlers, name, input, { signal }),
    subscribe: (listener: (notification: RawNotification) => void) => notifications.subscribe(listener),
  };
}

async function connectedStore(options: Parameters<typeof createInMemoryNode>[0] = {}) {
  const node = createInMemoryNode({ chunkDelayMs: 1, ...options });
  const client = createContractClient(inProcessTransport(node.handlers, node.hub));
  const store = createAppStore(client);
  followNotifications(client, store);
  await loadSnapshot(client, store);
  return { node, store };
}

describe('the chat slice', () => {
  it('sends the draft, streams the reply into the conversation and shows the cost', async () => {
    const { node, store } = await connectedStore();
    const before = store.getState().balance!.available;
    expect(store.getState().selectedModel).toBe('model-a-simulated');
    store.getState().setDraft('Hello');
    expect(selectCanSend(store.getState())).toBe(true);
    await store.getState().refreshEstimate();
    expect(store.getState().estimate?.maxCost).toBeGreaterThan(0);

    await store.getState().send();
    expect(store.getState().draft).toBe('');
    expect(selectCanSend(store.getState())).toBe(false);
    await expect.poll(() => store.getState().active).toBeNull();
    const reply = store.getState().conversation.at(-1);
    expect(reply).toMatchObject({ role: 'assistant', content: FIXTURE_REPLY });
    // The balance notification follows the reply: it dropped by exactly the cost shown (micro-tokens).
    expect(reply?.cost).toBeGreaterThan(0);
    await expect.poll(() => store.getState().balance?.available).toBe(before - reply!.cost!);
    expect(store.getState().earnings?.recent[0]).toMatchObject({ direction: 'spent', amount: reply?.cost });
    node.stop();
  });

  it('keeps the partial reply and says so when the user stops it', async () => {
    const { node, store } = await connectedStore({ chunkDelayMs: 20 });
    store.getState().setDraft('Long story please');
    await store.getState().send();
    await expect.poll(() => store.getState().active?.text.length ?? 0).toBeGreaterThan(0);
    await store.getState().stop();
    await expect.poll(() => store.getState().chatNotice?.reason).toBe('cancelled');
    expect(store.getState().active).toBeNull();
    expect(store.getState().conversation.at(-1)?.role).toBe('assistant');
    node.stop();
  });

  it('blocks sending below the minimum balance with a message that says what to do', async () => {
    const { node, store } = await connectedStore({ balance: 900 });
    store.getState().setDraft('Hello');
    expect(selectCanSend(store.getState())).toBe(false);
    expect(selectLowBalanceMessage(store.getState())).toMatch(
      /^You have 915\.\d+ tokens available\. Chatting needs at least 1,000 tokens available\./,
    );
    node.stop();
  });

  it('ignores chat events for requests this window did not start', async () => {
    const { node, store } = await connectedStore();
    node.hub.publish('chat', { type: 'delta', requestId: 'someone-else', text: 'not yours' });
    expect(store.getState().conversation).toEqual([]);
    node.stop();
  });
});

describe('the node slice', () => {
  it('reports a refused action in words and leaves the state alone', async () => {
    const { node, store } = await connectedStore();
    const failing = createAppStore(
      createContractClient({
        call: () => Promise.resolve({ ok: false, error: { kind: 'expected', message: 'You are offline.' } }),
        subscribe: () => () => {},
      }),
    );
    await failing.getState().pause();
    expect(failing.getState().notice).toBe('You are offline.');
    expect(failing.getState().busy).toBe(false);

    await store.getState().pause();
    expect(store.getState().status?.status).toBe('paused');
    expect(store.getState().clusters.every((cluster) => cluster.membership === 'left')).toBe(true);
    node.stop();
  });
});
