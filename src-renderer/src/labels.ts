// Words for the contract's states. Contributors are not technical: say what is happening and what to do.
import { REGION_LABELS, type RegionId } from '../../src-shared/regions/index.ts';
import type {
  EngineState,
  NodeStatus,
  OnboardingStepId,
  RegionSource,
  UpdateState,
} from '../../src-shared/ipc/index.ts';

export function regionLabel(region: RegionId | null): string {
  return region ? REGION_LABELS[region] : 'not known yet';
}

export const STEP_LABELS: Readonly<Record<OnboardingStepId, string>> = {
  identity: 'Create this computer’s identity',
  profile: 'Check what this computer can run',
  geo: 'Find your region',
  qualify: 'Choose the model tiers it can serve',
  join: 'Join the clusters of your region',
  engines: 'Start the AI engines',
  heartbeat: 'Tell the network it is ready',
};

export const SOURCE_LABELS: Readonly<Record<RegionSource, string>> = {
  override: 'You chose it.',
  peers: 'Other computers on the network saw your internet address there.',
  upnp: 'Your router reported your internet address.',
  interface: 'This computer has a public internet address there.',
  cache: 'Remembered from the last time (no fresh evidence yet).',
  timezone: 'Guessed from your time zone (no better evidence yet).',
  unknown: 'Not decided yet.',
};

export type StatusTone = 'good' | 'paused' | 'waiting' | 'bad';

/**
 * `servingEngines`: how many of this node's clusters have an engine ready (null: not known). Earning is
 * claimed only when one does: a joined cluster whose engine is still loading serves nobody.
 */
export function statusView(
  status: NodeStatus | null,
  region: RegionId | null,
  servingEngines: number | null = null,
): {
  readonly headline: string;
  readonly detail: string;
  readonly tone: StatusTone;
} {
  if (!status) return { headline: 'Connecting…', detail: 'Reading the node’s state.', tone: 'waiting' };
  switch (status.status) {
    case 'starting':
      return { headline: 'Starting…', detail: 'OpenGateway is getting ready.', tone: 'waiting' };
    case 'onboarding':
      return {
        headline: 'Setting up…',
        detail: `Now: ${STEP_LABELS[status.step].toLowerCase()}.`,
        tone: 'waiting',
      };
    case 'ready':
      // A node that qualifies for no tier (or a bootstrap node) chats and relays but earns nothing.
      return status.clusters === 0
        ? {
            headline: 'Contributing',
            detail: `Connected in ${regionLabel(region)}. This computer serves no model, so it does not earn tokens; chat works.`,
            tone: 'good',
          }
        : servingEngines === null || servingEngines === 0
          ? {
              headline: 'Contributing',
              detail: `Joined ${status.clusters} ${status.clusters === 1 ? 'cluster' : 'clusters'} in ${regionLabel(region)}. No AI engine is serving yet, so it earns nothing until one is ready.`,
              tone: 'waiting',
            }
          : {
              headline: 'Contributing',
              detail: `Serving ${servingEngines} of ${status.clusters} ${status.clusters === 1 ? 'cluster' : 'clusters'} in ${regionLabel(region)} and earning tokens.`,
              tone: 'good',
            };
    case 'paused':
      // The tray says it too: requests taken before the pause still run, so the computer is not idle yet.
      if ((status.finishingRequests ?? 0) > 0) {
        const count = status.finishingRequests!;
        return {
          headline: `Finishing ${count} ${count === 1 ? 'request' : 'requests'}…`,
          detail: `${status.reason === 'user' ? 'You paused contributing.' : 'Idle-only mode: you are using this computer.'} No new requests are taken; the ${count === 1 ? 'one' : count} already started ${count === 1 ? 'finishes' : 'finish'} first. Chat still works.`,
          tone: 'paused',
        };
      }
      return status.reason === 'user'
        ? { headline: 'Paused', detail: 'You paused contributing. Chat still works.', tone: 'paused' }
        : {
            headline: 'Waiting for idle',
            detail: 'Idle-only mode: contributing starts when you have not used this computer for a while.',
            tone: 'paused',
          };
    case 'offline':
      return { headline: 'Offline', detail: status.message, tone: 'bad' };
    case 'looking-for-peers':
      return {
        headline: 'Looking for peers',
        detail: `Nothing is wrong: no other computer of the network has answered yet, and OpenGateway keeps trying${status.nextAttemptAt === null ? '' : ` (next try at ${new Date(status.nextAttemptAt).toLocaleTimeString()})`}. Tried: ${status.tried.join('; ')}.`,
        tone: 'waiting',
      };
    case 'error':
      return { headline: 'Problem', detail: status.message, tone: 'bad' };
  }
}

export function engineLabel(engine: EngineState | null): string {
  if (!engine) return 'no engine';
  const kind =
    engine.kind === 'simulator'
      ? 'simulator (not real AI)'
      : engine.kind === 'exo'
        ? 'EXO'
        : engine.kind === 'builtin'
          ? 'built-in llama.cpp'
          : 'your own server';
  return `${engine.state} · ${kind}`;
}

export function updateLabel(update: UpdateState | null): string {
  if (!update) return '…';
  switch (update.state) {
    case 'unsupported':
      return update.reason;
    case 'idle':
      return 'Updates are checked automatically.';
    case 'checking':
      return 'Checking for updates…';
    case 'up-to-date':
      return 'OpenGateway is up to date.';
    case 'available':
      return `Version ${update.version} is available and will download in the background.`;
    case 'downloading':
      return `Downloading version ${update.version}… ${Math.round(update.percent)}%`;
    case 'downloaded':
      return `Version ${update.version} is ready. It installs when you quit, or restart now.`;
    case 'error':
      return `Could not check for updates: ${update.message}`;
  }
}
