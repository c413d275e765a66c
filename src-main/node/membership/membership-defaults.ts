// Defaults of the sampled membership protocol (issue 16). The cost per node depends on these, never on the
// size of the cluster: that is the point.

/** Every member of the active view is probed once per interval (SWIM's round-robin: one probe per period). */
export const DEFAULT_INTERVAL_MS = 5000;
/**
 * Members probed and routed to. Power of two choices over a sample balances load as well as over everyone
 * only if the sample is wide enough to average out uneven in-degrees: in the simulator with skewed
 * capacities 8 gave 1.9× the full view's busiest queue, 16 gave 1.5×, 20 gave 1.3× (bench/scale-routing.ts).
 */
export const DEFAULT_ACTIVE_VIEW_SIZE = 20;
/** Candidates kept to refill the active view. */
export const DEFAULT_PASSIVE_VIEW_SIZE = 60;
/** Members asked to probe a target that did not answer directly. */
export const DEFAULT_INDIRECT_PROBES = 3;
/**
 * A direct probe waits this long for its ack before asking others (indirect probes need two round trips,
 * so a probe fails after three times this). Probes may overlap: the period is shorter than a slow RTT.
 */
export const DEFAULT_PROBE_TIMEOUT_MS = 300;
/**
 * A first contact (verifying a candidate, a join's shuffle) waits this share of the interval for its answer,
 * not just a probe's deadline: over libp2p the first message to a peer opens a stream (and may dial), which
 * on a busy node took 0.2–0.7 s before the ping even left, so 0.9 s verifications failed and the candidate
 * was forgotten. Slow first answers cost nothing but a slot held a little longer.
 */
export const FIRST_CONTACT_SHARE = 0.5;
/** A suspect is dead after this share of the interval and one more failed probe (incl. indirect). */
export const SUSPICION_SHARE = 0.5;
/** A Cyclon swap every this many probe periods (two intervals with the defaults), of this many entries. */
export const DEFAULT_SHUFFLE_EVERY_PROBES = 40;
export const DEFAULT_SHUFFLE_LENGTH = 3;
/** How often a rumor is passed on by each node: enough for ~log(N) rounds up to ~100,000 members. */
export const DEFAULT_RUMOR_TRANSMISSIONS = 12;
export const DEFAULT_MAX_RUMORS_PER_MESSAGE = 6;
/** Bounds on what peers can make a node remember. */
export const RUMOR_MEMORY = 512;
export const RUMOR_QUEUE = 128;
/** Hops a rumor may travel: push gossip with 12 sends per node covers 10,000 nodes in ~5 hops. */
export const DEFAULT_RUMOR_TTL = 12;
/**
 * State changes (a new descriptor) travel only a couple of hops (plus the member's gossip shard): only the
 * member's holders need them, and they probe it once per interval (its acks carry the rumor). Joins,
 * suspicions, deaths and refutations travel the full TTL: SWIM makes a join known to the whole cluster (each
 * node passes it on a bounded number of times, riding on messages it sends anyway), so every member has the
 * newcomer as a candidate and a region's routers can find it.
 */
export const ANNOUNCE_RUMOR_TTL = 2;
export const DEAD_MEMORY = 1024;
/** Gossip shards per cluster for rare events; S ≈ N / 100 at the design size of 10,000 members. */
export const DEFAULT_GOSSIP_SHARDS = 100;
/** Seeds asked for on join and when the views run empty. */
export const SEEDS_ON_JOIN = 8;
/**
 * A peer that answered "not-member" is not tried again for this many intervals (unless news says it joined):
 * a region's other clusters, watchers and nodes not joined yet answer that to every probe and join.
 */
export const NOT_MEMBER_RETRY_INTERVALS = 12;
/**
 * A node whose views ran empty asks for seeds again after one interval, then doubling up to this many: each
 * ask is a DHT lookup, and a watcher of a tier nobody serves (or a lone member) asked every interval forever.
 * A lone member needs no seeds to be found: a newcomer's own seeds lead it there.
 */
export const MAX_RESEED_INTERVALS = 8;
/** Rumors one sender may make a node consider per interval, in messages' worth (see rumor-budget.ts). */
export const RUMOR_BUDGET_MESSAGES = 8;
/** Senders whose rumor budget is remembered at once (the quietest forgotten first). */
export const RUMOR_BUDGET_SENDERS = 1024;
