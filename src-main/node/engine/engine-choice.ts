// Which engine serves: what the contributor chose, or by default EXO where it is installed (or the EXO app is
// running), an OpenAI-compatible server where the user points at one, otherwise the built-in llama.cpp every
// install has.
// A server the user points at is an explicit choice, so it wins over an EXO merely found on the machine.
import type { EngineKind } from './engine.ts';
import { isExoAppRunning } from './exo/exo-app.ts';
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

export interface DetectEngineOptions extends FindExoOptions {
  readonly openAiConfigured: boolean;
  /** Where the EXO app's API would answer (default 52415); `null` never looks (simulated engines). */
  readonly exoAppPort?: number | null;
}

/** What `auto` found: EXO installed here, or the EXO app's EXO already answering. */
interface ExoFound {
  readonly installed: boolean;
  readonly appRunning: boolean;
}

async function lookForExo(options: DetectEngineOptions): Promise<ExoFound> {
  const appRunning =
    options.exoAppPort === null
      ? false
      : await isExoAppRunning(options.exoAppPort === undefined ? {} : { port: options.exoAppPort });
  // A running app is EXO enough: its executable may sit where no search looks.
  if (appRunning) return { installed: true, appRunning };
  return { installed: (await findExo(options)).found, appRunning };
}

/** Resolves `auto` by looking for EXO on this machine (PATH, the EXO app, a configured path, the app running). */
export async function detectEngine(choice: EngineChoice, options: DetectEngineOptions): Promise<EngineKind> {
  return (await decideEngine(choice, options)).kind;
}

/**
 * Why a tier is served by the engine it is: the contributor chose it (Settings or the command line), or `auto`
 * decided (EXO found, a server configured, otherwise the built-in engine every install has).
 */
export type EngineReason =
  | 'exo-found'
  | 'exo-app-running'
  | 'server-configured'
  | 'builtin-default'
  | 'chosen-in-settings'
  | 'chosen-on-command-line'
  | 'simulated';

/** The engine `auto` means here, and why. */
export async function decideEngine(
  choice: EngineChoice,
  options: DetectEngineOptions,
): Promise<{ readonly kind: EngineKind; readonly reason: EngineReason }> {
  if (choice !== 'auto') return { kind: choice, reason: 'chosen-on-command-line' };
  if (options.openAiConfigured) return { kind: 'openai', reason: 'server-configured' };
  const exo = await lookForExo(options);
  const kind = resolveEngineChoice(choice, { openAiConfigured: false, exoInstalled: exo.installed });
  if (kind !== 'exo') return { kind, reason: 'builtin-default' };
  return { kind, reason: exo.appRunning ? 'exo-app-running' : 'exo-found' };
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
    case 'exo-app-running':
      return 'the EXO app running on this computer';
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
