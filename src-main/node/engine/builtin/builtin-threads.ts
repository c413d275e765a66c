// How many CPU threads the built-in engines get.

/**
 * CPU threads for each built-in engine: the machine's cores minus one (the node and the desktop stay
 * responsive), split among the built-in tiers, at least one. ggml's threads spin on barriers, so giving the
 * engines together more threads than cores collapses throughput (ref/real-engine.md).
 */
export function builtinThreads(cores: number, builtinTiers: number): number {
  return Math.max(1, Math.floor(Math.max(1, cores - 1) / Math.max(1, builtinTiers)));
}
