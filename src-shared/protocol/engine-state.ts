// A member's engine for a cluster, as members announce it (membership-wire.ts) and routing needs it.

/** The member's engine for this cluster, as the routing code needs it. */
export const ENGINE_STATES = ['none', 'starting', 'ready', 'error', 'stopped'] as const;
export type EngineState = (typeof ENGINE_STATES)[number];
