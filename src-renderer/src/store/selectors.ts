// Derived values the pages share. Selectors return primitives or store-owned objects, so they are cheap.
import { formatTokens } from '../format.ts';
import type { AppState } from './app-state.ts';

/** Paused by the user (an idle-only wait is not a pause the user can undo with Resume). */
export const selectIsPaused = (state: AppState): boolean =>
  state.status?.status === 'paused' && state.status.reason === 'user';

export const selectCanPauseOrResume = (state: AppState): boolean =>
  state.connection.state === 'connected' &&
  !state.busy &&
  (state.status?.status === 'ready' ||
    state.status?.status === 'looking-for-peers' ||
    state.status?.status === 'paused' ||
    state.status?.status === 'onboarding');

/** Chatting needs `minimumToRequest` available (DESIGN.md §8); null when it is allowed. */
export const selectLowBalanceMessage = (state: AppState): string | null => {
  const balance = state.balance;
  if (!balance || balance.available >= balance.minimumToRequest) return null;
  const held =
    balance.reserved > 0 ? ` (${formatTokens(balance.reserved)} more are held for a chat in progress)` : '';
  return `You have ${formatTokens(balance.available)} available${held}. Chatting needs at least ${formatTokens(balance.minimumToRequest)} available. Leave OpenGateway contributing to earn more.`;
};

export const selectSelectedModel = (state: AppState) =>
  state.models.find((model) => model.id === state.selectedModel) ?? null;

export const selectCanSend = (state: AppState): boolean =>
  state.connection.state === 'connected' &&
  state.active === null &&
  state.draft.trim() !== '' &&
  selectSelectedModel(state)?.available === true &&
  selectLowBalanceMessage(state) === null;

export const selectJoinedClusterCount = (state: AppState): number =>
  state.clusters.filter((cluster) => cluster.membership === 'joined').length;

/** Joined clusters whose engine is ready to serve: only these earn tokens. */
export const selectServingEngineCount = (state: AppState): number =>
  state.clusters.filter((cluster) => cluster.membership === 'joined' && cluster.engine?.state === 'ready')
    .length;
