// Fills the store from the node after each (re)connection, then keeps it current from notifications.
import type { AppStore } from './create-app-store.ts';
import { applyNotification } from './apply-notification.ts';
import type { ContractClient } from './contract-types.ts';
import { describeCallError } from './describe-call-error.ts';

/** Reads everything the pages show. Notifications that arrive meanwhile are newer and win. */
export async function loadSnapshot(client: ContractClient, store: AppStore): Promise<void> {
  try {
    const [
      status,
      onboarding,
      resources,
      region,
      clusters,
      balance,
      earnings,
      models,
      settings,
      appInfo,
      update,
      tierModels,
      firstRun,
      engines,
    ] = await Promise.all([
      client.call('getStatus'),
      client.call('getOnboarding'),
      client.call('getResources'),
      client.call('getRegion'),
      client.call('getClusters'),
      client.call('getBalance'),
      client.call('getEarnings', { limit: 50 }),
      client.call('getChatModels'),
      client.call('getSettings'),
      client.call('getAppInfo'),
      client.call('getUpdateState'),
      client.call('getTierModels'),
      client.call('getFirstRun'),
      client.call('getEngines'),
    ]);
    const selected = store.getState().selectedModel;
    const stillOffered = models.some((model) => model.id === selected && model.available);
    store.setState({
      status,
      onboarding,
      resources,
      region,
      clusters,
      tierModels,
      engines,
      balance,
      earnings,
      models,
      settings,
      appInfo,
      update,
      firstRun,
      // A node in error has nothing to consent to: the window shows the error instead of the welcome.
      firstRunView:
        !firstRun.completed && status.status !== 'error' ? 'welcome' : store.getState().firstRunView,
      selectedModel: stillOffered ? selected : (models.find((model) => model.available)?.id ?? null),
      connection: { state: 'connected' },
      notice: null,
    });
  } catch (error) {
    store.setState({ notice: describeCallError(error) });
  }
}

export function followNotifications(client: ContractClient, store: AppStore): () => void {
  return client.subscribe((notification) => {
    store.setState((state) => applyNotification(state, notification));
  });
}
