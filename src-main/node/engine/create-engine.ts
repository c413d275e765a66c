// The factory the node's composition root calls: one engine per joined cluster, from its config.
import { BuiltinEngine, type BuiltinEngineInit } from './builtin/builtin-engine.ts';
import type { Engine } from './engine.ts';
import { ExoEngine, type ExoEngineInit } from './exo/exo-engine.ts';
import { OpenAiEngine, type OpenAiEngineInit } from './openai/openai-engine.ts';

/** How a cluster's engine is configured: the built-in llama.cpp, EXO, or an OpenAI-compatible server. */
export type EngineConfig =
  | ({ readonly kind: 'builtin' } & BuiltinEngineInit)
  | ({ readonly kind: 'exo' } & ExoEngineInit)
  | ({ readonly kind: 'openai' } & OpenAiEngineInit);

export function createEngine(config: EngineConfig): BuiltinEngine | ExoEngine | OpenAiEngine {
  switch (config.kind) {
    case 'builtin':
      return new BuiltinEngine(config);
    case 'exo':
      return new ExoEngine(config);
    case 'openai':
      return new OpenAiEngine(config);
  }
}

export type { Engine };
