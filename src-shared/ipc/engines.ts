// Which engine serves each tier on this node, why, and the contributor's choice (Settings): the built-in
// llama.cpp, EXO, their own OpenAI-compatible server, or `auto` (EXO where installed, otherwise built-in).
import { ENGINE_KINDS } from './clusters.ts';
import { tierIdSchema } from './resources.ts';
import { array, boolean, nullable, object, oneOf, string, type Infer } from './schema.ts';

export const TIER_ENGINE_CHOICES = ['auto', 'builtin', 'exo', 'openai'] as const;

/** http(s), no spaces: the node checks the rest (no credentials in it). */
const serverUrl = string({ min: 8, max: 500, pattern: /^https?:\/\/\S+$/ });

export const engineServerSchema = object({
  /** The server's API base (`http://127.0.0.1:11434/v1`). */
  baseUrl: serverUrl,
  /** The model it answers with; null: the server's first. */
  model: nullable(string({ max: 200 })),
});
export type EngineServerView = Infer<typeof engineServerSchema>;

export const tierEngineSchema = object({
  tier: tierIdSchema,
  label: string({ max: 60 }),
  /** What the contributor chose (`auto` unless they picked one). */
  choice: oneOf(TIER_ENGINE_CHOICES),
  /** The engine that serves it (`simulator` on a developer network). */
  kind: oneOf(ENGINE_KINDS),
  /** Why, for people: "Built-in llama.cpp: built-in llama.cpp (no EXO on this computer)". */
  reason: string({ max: 200 }),
  /** This node serves the tier now (it qualifies and its model is ready). */
  serving: boolean(),
  /** Set on the command line (--tier-engine): Settings cannot change it. */
  locked: boolean(),
});
export type TierEngine = Infer<typeof tierEngineSchema>;

export const enginesSchema = object({
  tiers: array(tierEngineSchema, { max: 16 }),
  /** EXO is installed on this computer (Settings offers it only then). */
  exoInstalled: boolean(),
  server: nullable(engineServerSchema),
});
export type Engines = Infer<typeof enginesSchema>;

export const setTierEngineInputSchema = object({ tier: tierIdSchema, choice: oneOf(TIER_ENGINE_CHOICES) });
export const setEngineServerInputSchema = object({ server: nullable(engineServerSchema) });
