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

/**
 * Why a tier is served by the engine it is: the contributor chose it (Settings or the command line), or `auto`
 * decided (EXO found, a server configured, otherwise the built-in engine every install has).
 */
export type EngineReason =
  | 'exo-found'
  | 'server-configured'
  | 'builtin-default'
  | 'chosen-in-settings'
  | 'chosen-on-command-line'
  | 'simulated';

/** The engine `auto` means here, and why. */
export async function decideEngine(
  choice: EngineChoice,
  options: { readonly openAiConfigured: boolean } & FindExoOptions,
): Promise<{ readonly kind: EngineKind; readonly reason: EngineReason }> {
  const kind = await detectEngine(choice, options);
  if (choice !== 'auto') return { kind, reason: 'chosen-on-command-line' };
  return {
    kind,
    reason: kind === 'openai' ? 'server-configured' : kind === 'exo' ? 'exo-found' : 'builtin-default',
  };
}

/** How people read an engine: "Built-in llama.cpp", "EXO", "Your OpenAI-compatible server". */
export function engineKindText(kind: EngineKind): string {
  switch (kind) {
    case 'builtin':
      return 'Built-in llama.cpp';
    case 'exo':
      return 'EXO';
    case 'openai':
      return 'Your OpenAI-compatible server';
  }
}

/** The reason in a contributor's words ("EXO found on this computer"). */
export function engineReasonText(reason: EngineReason): string {
  switch (reason) {
    case 'exo-found':
      return 'EXO found on this computer';
    case 'server-configured':
      return 'your OpenAI-compatible server';
    case 'builtin-default':
      return 'built-in llama.cpp (no EXO on this computer)';
    case 'chosen-in-settings':
      return 'chosen in Settings';
    case 'chosen-on-command-line':
      return 'chosen on the command line';
    case 'simulated':
      return 'simulated engine (developer network: not real inference)';
  }
}
