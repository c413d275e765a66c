// Which engine serves: what the contributor chose, or by default EXO where it is installed, an
// OpenAI-compatible server where the user points at one, otherwise the built-in llama.cpp every install has.
// A server the user points at is an explicit choice, so it wins over an EXO merely found on the machine.
import type { EngineKind } from './engine.ts';
import { findExo, type FindExoOptions } from './exo/find-exo.ts';

/** A contributor's choice: one engine, or `auto` (the default above). */
export type EngineChoice = 'auto' | EngineKind;

export const ENGINE_CHOICES: readonly EngineChoice[] = ['auto', 'builtin', 'exo', 'openai'];

export function isEngineChoice(value: string): value is EngineChoice {
  return (ENGINE_CHOICES as readonly string[]).includes(value);
}

export interface EngineAvailability {
  /** The user configured an OpenAI-compatible server's URL. */
  readonly openAiConfigured: boolean;
  readonly exoInstalled: boolean;
}

/** The engine `choice` means on a machine with `available`. */
export function resolveEngineChoice(choice: EngineChoice, available: EngineAvailability): EngineKind {
  if (choice !== 'auto') return choice;
  if (available.openAiConfigured) return 'openai';
  if (available.exoInstalled) return 'exo';
  return 'builtin';
}

/** Resolves `auto` by looking for EXO on this machine (PATH, the EXO app, a configured path). */
export async function detectEngine(
  choice: EngineChoice,
  options: { readonly openAiConfigured: boolean } & FindExoOptions,
): Promise<EngineKind> {
  if (choice !== 'auto' || options.openAiConfigured) {
    return resolveEngineChoice(choice, { openAiConfigured: options.openAiConfigured, exoInstalled: false });
  }
  const exo = await findExo(options);
  return resolveEngineChoice(choice, { openAiConfigured: false, exoInstalled: exo.found });
}
