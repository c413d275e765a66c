// The node's lifecycle as the UI sees it: a discriminated union (DESIGN.md §3), plus the onboarding steps.
import {
  array,
  nullable,
  number,
  object,
  oneOf,
  optional,
  string,
  taggedUnion,
  type Infer,
} from './schema.ts';

const text = string({ max: 500 });
const timestamp = number({ min: 0, max: 8.64e15, integer: true });

export const ONBOARDING_STEP_IDS = [
  'identity',
  'profile',
  'geo',
  'qualify',
  'join',
  'engines',
  'heartbeat',
] as const;
/** Why contributing is paused: the user asked, idle-only mode is waiting for the computer to be idle. */
export const PAUSE_REASONS = ['user', 'waiting-for-idle'] as const;
export type PauseReason = (typeof PAUSE_REASONS)[number];

export const nodeStatusSchema = taggedUnion('status', {
  starting: {},
  onboarding: { step: oneOf(ONBOARDING_STEP_IDS) },
  /** Contributing: joined its clusters and accepting work (`clusters` is how many). */
  ready: { clusters: number({ min: 0, max: 64, integer: true }), since: timestamp },
  paused: {
    reason: oneOf(PAUSE_REASONS),
    since: timestamp,
    /** Requests taken before the pause, still finishing (absent or 0: none); the tray says so. */
    finishingRequests: optional(number({ min: 0, max: 1_000_000, integer: true })),
  },
  offline: { message: text, retryAt: nullable(timestamp) },
  /**
   * Set up, but connected to no peer yet: not an error (DESIGN.md §4). The node keeps trying with backoff;
   * `tried` says how, in words ("bootstrap.example (DNS name not resolved: local-only mode)").
   */
  'looking-for-peers': {
    since: timestamp,
    tried: array(string({ max: 300 }), { max: 16 }),
    nextAttemptAt: nullable(timestamp),
  },
  error: { message: text },
});
export type NodeStatus = Infer<typeof nodeStatusSchema>;
export type NodeStatusName = NodeStatus['status'];

export type OnboardingStepId = (typeof ONBOARDING_STEP_IDS)[number];

export const onboardingStepSchema = object({
  id: oneOf(ONBOARDING_STEP_IDS),
  state: oneOf(['pending', 'running', 'done', 'failed', 'skipped']),
  /** One line for a person: "Asia (3 peers saw your address)", "needs a network connection". */
  detail: nullable(text),
});
export type OnboardingStep = Infer<typeof onboardingStepSchema>;

export const onboardingSchema = array(onboardingStepSchema, { max: 16 });

/** `pause` from a UI is the user's; the desktop shell pauses with `waiting-for-idle` in idle-only mode. */
export const pauseInputSchema = object({ reason: optional(oneOf(PAUSE_REASONS)) });
