// The clusters (<region>/<tier>) this node belongs to, their members and the engine serving each.
import { regionIdSchema } from './region.ts';
import { tierIdSchema } from './resources.ts';
import { array, boolean, integer, nullable, number, object, oneOf, string, type Infer } from './schema.ts';

export const clusterIdSchema = string({ max: 64, pattern: /^[a-z-]+\/model-[a-z]$/ });

export const ENGINE_KINDS = ['builtin', 'exo', 'openai', 'simulator'] as const;
export const ENGINE_STATES = ['stopped', 'starting', 'loading', 'ready', 'crashed', 'stopping'] as const;

export const engineStateSchema = object({
  /** `simulator` is the engine double of a developer network: never real inference (DESIGN.md §7). */
  kind: oneOf(ENGINE_KINDS),
  state: oneOf(ENGINE_STATES),
  model: nullable(string({ max: 200 })),
  /** "restarting in 30 s (crashed 3 times)" */
  detail: nullable(string({ max: 500 })),
});
export type EngineState = Infer<typeof engineStateSchema>;

export const clusterViewSchema = object({
  id: clusterIdSchema,
  region: regionIdSchema,
  tier: tierIdSchema,
  label: string({ max: 60 }),
  membership: oneOf(['joining', 'joined', 'leaving', 'left']),
  /** Members seen in the last heartbeat window, this node included. */
  members: integer(0, 1_000_000),
  /** Members with a ready engine and free capacity. */
  readyMembers: integer(0, 1_000_000),
  engine: nullable(engineStateSchema),
});
export type ClusterView = Infer<typeof clusterViewSchema>;

export const clustersSchema = array(clusterViewSchema, { max: 64 });

export const clusterMemberSchema = object({
  /** Shortened peer id, enough to tell members apart. */
  peer: string({ max: 64 }),
  self: boolean(),
  state: oneOf(['ready', 'busy', 'loading', 'paused']),
  /** Share of the member's capacity in use, 0–1. */
  load: number({ min: 0, max: 1 }),
  rttMs: nullable(number({ min: 0, max: 600_000 })),
});
export type ClusterMember = Infer<typeof clusterMemberSchema>;

export const clusterMembersInputSchema = object({ clusterId: clusterIdSchema });
export const clusterMembersSchema = array(clusterMemberSchema, { max: 500 });

export const engineLogsInputSchema = object({ clusterId: clusterIdSchema, lines: integer(1, 500) });
export const engineLogsSchema = object({ lines: array(string({ max: 2000 }), { max: 500 }) });
