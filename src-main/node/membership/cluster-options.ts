// The knobs of one cluster's membership protocol, with their defaults resolved once.
import * as defaults from './membership-defaults.ts';

export interface ClusterMembershipOptions {
  /** Each active member is probed once per interval; the probe period is interval / active view size. */
  readonly intervalMs?: number;
  readonly activeViewSize?: number;
  readonly passiveViewSize?: number;
  readonly indirectProbes?: number;
  /** How long a direct probe waits before asking others; the probe fails after three times this. */
  readonly probeTimeoutMs?: number;
  readonly shuffleEveryProbes?: number;
  readonly shuffleLength?: number;
  readonly rumorTransmissions?: number;
  readonly maxRumorsPerMessage?: number;
  /** Gossip shards of the cluster (every node of a network must agree). */
  readonly shards?: number;
}

export interface ResolvedOptions {
  readonly intervalMs: number;
  readonly periodMs: number;
  readonly directMs: number;
  readonly probeDeadlineMs: number;
  /** How long a first contact (a verification, a join) waits for its answer: see FIRST_CONTACT_SHARE. */
  readonly firstContactMs: number;
  readonly suspicionMs: number;
  readonly activeSize: number;
  readonly passiveSize: number;
  readonly deadMemory: number;
  readonly rumorMemory: number;
  readonly rumorQueue: number;
  readonly rumorTtl: number;
  readonly announceTtl: number;
  readonly indirectProbes: number;
  readonly shuffleEveryProbes: number;
  readonly shuffleLength: number;
  readonly rumorTransmissions: number;
  readonly maxRumorsPerMessage: number;
  readonly shards: number;
  readonly seeds: number;
  /** How long a "not-member" answer keeps a peer from being tried again. */
  readonly notMemberRetryMs: number;
  /** The longest wait between two asks for seeds while the views stay empty. */
  readonly maxReseedMs: number;
}

export function resolveOptions(options: ClusterMembershipOptions): ResolvedOptions {
  const intervalMs = options.intervalMs ?? defaults.DEFAULT_INTERVAL_MS;
  const activeSize = options.activeViewSize ?? defaults.DEFAULT_ACTIVE_VIEW_SIZE;
  const periodMs = intervalMs / activeSize;
  const probeTimeoutMs =
    options.probeTimeoutMs ?? Math.min(defaults.DEFAULT_PROBE_TIMEOUT_MS, intervalMs / 4);
  return {
    intervalMs,
    periodMs,
    directMs: probeTimeoutMs,
    probeDeadlineMs: 3 * probeTimeoutMs,
    firstContactMs: Math.max(3 * probeTimeoutMs, intervalMs * defaults.FIRST_CONTACT_SHARE),
    suspicionMs: intervalMs * defaults.SUSPICION_SHARE,
    activeSize,
    passiveSize: options.passiveViewSize ?? defaults.DEFAULT_PASSIVE_VIEW_SIZE,
    deadMemory: defaults.DEAD_MEMORY,
    rumorMemory: defaults.RUMOR_MEMORY,
    rumorQueue: defaults.RUMOR_QUEUE,
    rumorTtl: defaults.DEFAULT_RUMOR_TTL,
    announceTtl: defaults.ANNOUNCE_RUMOR_TTL,
    indirectProbes: options.indirectProbes ?? defaults.DEFAULT_INDIRECT_PROBES,
    shuffleEveryProbes: options.shuffleEveryProbes ?? defaults.DEFAULT_SHUFFLE_EVERY_PROBES,
    shuffleLength: Math.min(options.shuffleLength ?? defaults.DEFAULT_SHUFFLE_LENGTH, 15),
    rumorTransmissions: options.rumorTransmissions ?? defaults.DEFAULT_RUMOR_TRANSMISSIONS,
    maxRumorsPerMessage: Math.min(options.maxRumorsPerMessage ?? defaults.DEFAULT_MAX_RUMORS_PER_MESSAGE, 8),
    shards: options.shards ?? defaults.DEFAULT_GOSSIP_SHARDS,
    seeds: defaults.SEEDS_ON_JOIN,
    notMemberRetryMs: intervalMs * defaults.NOT_MEMBER_RETRY_INTERVALS,
    maxReseedMs: intervalMs * defaults.MAX_RESEED_INTERVALS,
  };
}
