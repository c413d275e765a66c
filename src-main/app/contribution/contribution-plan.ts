// Whether the node should contribute right now, from the user's pause and idle-only mode.
import type { PauseReason } from '../../../src-shared/ipc/index.ts';

export type ContributionPlan =
  { readonly contribute: true } | { readonly contribute: false; readonly reason: PauseReason };

export function planContribution(input: {
  readonly userPaused: boolean;
  readonly idleOnly: boolean;
  readonly systemIdle: boolean;
}): ContributionPlan {
  if (input.userPaused) return { contribute: false, reason: 'user' };
  if (input.idleOnly && !input.systemIdle) return { contribute: false, reason: 'waiting-for-idle' };
  return { contribute: true };
}
