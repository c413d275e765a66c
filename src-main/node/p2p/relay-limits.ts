// What one relayed circuit may carry (security finding 20: an open relay with no limit is free bandwidth for
// anyone). Large enough for a whole chat through the relay (libp2p's defaults, 128 KiB and 2 min, cut long
// answers: TOOLCHAIN.md "Relay"), small enough that a relay cannot be used as a bulk pipe. A circuit that
// hits a limit is closed; DCUtR moves busy peers to a direct connection long before.

export const RELAY_LIMITS = {
  /** Bytes per circuit, both directions together: a long answer is ~100 KiB of frames, heartbeats a few KiB a minute. */
  dataBytes: 8n * 1024n * 1024n,
  /** Lifetime of one circuit: longer than the longest generation we allow. */
  durationMs: 10 * 60 * 1000,
} as const;
