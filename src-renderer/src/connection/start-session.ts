// Wires a transport to a fresh store: load everything on (re)connect, follow notifications, and keep the
// connection state honest for the banner.
import { createContractClient } from '../../../src-shared/ipc/index.ts';
import { createWebSocketTransport } from '../transport/websocket-transport.ts';
import { createAppStore, type AppStore } from '../store/create-app-store.ts';
import { followNotifications, loadSnapshot } from '../store/load-snapshot.ts';
import type { ConnectionTarget } from './choose-connection.ts';

export interface Session {
  readonly store: AppStore;
  stop(): void;
}

export function startSession(target: Exclude<ConnectionTarget, { kind: 'needs-key' }>): Session {
  if (target.kind === 'electron') {
    const client = createContractClient(target.transport);
    const store = createAppStore(client);
    const unfollow = followNotifications(client, store);
    void loadSnapshot(client, store);
    return { store, stop: unfollow };
  }
  let store: AppStore | null = null;
  const transport = createWebSocketTransport({
    url: target.url,
    apiKey: target.apiKey,
    onStateChange(state) {
      if (!store) return;
      switch (state.state) {
        case 'open':
          store.setState({ connection: { state: 'connected' } });
          void loadSnapshot(client, store);
          return;
        case 'connecting':
          if (store.getState().connection.state !== 'disconnected')
            store.setState({ connection: { state: 'connecting' } });
          return;
        case 'closed': {
          const { active, conversation } = store.getState();
          store.setState({
            connection: { state: 'disconnected', reason: state.reason, attempts: state.attempt },
          });
          // A reply in flight will not finish on a new connection: say so, keep what arrived.
          if (active)
            store.setState({
              active: null,
              conversation: active.text
                ? [...conversation, { role: 'assistant', content: active.text }]
                : conversation,
              chatNotice: {
                reason: 'error',
                message: 'The connection to the node was lost, so the reply stopped.',
              },
            });
          return;
        }
        case 'stopped':
          return;
      }
    },
  });
  const client = createContractClient(transport);
  store = createAppStore(client);
  const unfollow = followNotifications(client, store);
  return {
    store,
    stop() {
      unfollow();
      transport.stop();
    },
  };
}
