// Which engine serves each tier, and why: a choice on the command line (--tier-engine) wins, then the
// contributor's choice in Settings, then the node's engine (`auto`: EXO where it is installed or the EXO app
// runs, otherwise the built-in llama.cpp every install has). Settings choices change while the node runs; the routing service
// restarts the tiers whose engine changed.
import {
  engineKindText,
  engineReasonText,
  resolveEngineChoice,
  type EngineReason,
} from '../engine/engine-choice.ts';
import type { EngineKind } from '../engine/engine.ts';
import { DEFAULT_EXO_API_PORT } from '../engine/exo/exo-api.ts';
import { isExoAppRunning } from '../engine/exo/exo-app.ts';
import { findExo } from '../engine/exo/find-exo.ts';
import type { EngineServer } from '../settings/node-settings.ts';

/**
 * How this node runs engines: the built-in llama.cpp (with the tier's model file from the model source), EXO
 * (found on the machine, or a given executable), or a server the user runs.
 */
export type EngineSettings =
  | {
      /** EXO where it is installed, otherwise the built-in engine (resolved once, at start). */
      readonly kind: 'auto';
      readonly simulated?: boolean;
      /** Applied when it resolves to the built-in engine. */
      readonly gpuShare?: number;
      /** Applied when it resolves to EXO. */
      readonly memoryMb?: number;
    }
  | {
      readonly kind: 'builtin';
      readonly simulated?: boolean;
      /** CPU threads per engine; default the machine's cores minus one, shared among the built-in tiers. */
      readonly threads?: number;
      /** false: CPU only (tests). Default 'auto': Metal, CUDA or Vulkan where they work. */
      readonly gpu?: false | 'auto';
      /** Layers on the GPU; default as many as fit the GPU share. */
      readonly gpuLayers?: number | 'auto';
      /** The contributor's share of GPU memory (0–1) llama.cpp may plan with. */
      readonly gpuShare?: number;
      /** The context served; default the model's, at most 8192. */
      readonly contextSize?: number;
    }
  | {
      readonly kind: 'exo';
      /** The engine is a simulator (devnets): status and the UI say so; it is never presented as real inference. */
      readonly simulated?: boolean;
      /** An `exo` executable; found on PATH or in the macOS app otherwise. */
      readonly exoPath?: string;
      /** Extra environment for the engine process. */
      readonly env?: Readonly<Record<string, string>>;
      /** Memory each cluster's EXO may offer. */
      readonly memoryMb?: number;
    }
  | {
      readonly kind: 'openai';
      readonly simulated?: boolean;
      readonly baseUrl: string;
      readonly apiKey?: string;
      readonly model?: string;
    };

/** Engine settings with `auto` decided. */
export type ResolvedEngineSettings = Exclude<EngineSettings, { readonly kind: 'auto' }>;

/** What a contributor chose for a tier: an engine, or `auto` (the node's engine). */
export type TierEngineChoice = 'auto' | EngineKind;

/** Which engine serves a tier, why, and whether Settings may change it. */
export interface TierEngineView {
  readonly kind: EngineKind;
  readonly simulated: boolean;
  readonly choice: TierEngineChoice;
  readonly reason: EngineReason;
  /** "Built-in llama.cpp: built-in llama.cpp (no EXO on this computer)" */
  readonly text: string;
  /** Set with --tier-engine: Settings cannot change it while the node runs with that flag. */
  readonly lockedByCommandLine: boolean;
}

export interface TierEnginesInit {
  /** The node's engine for tiers without their own choice. */
  readonly engine: EngineSettings;
  /** Why the node's engine is what it is, when it was decided before (the CLI's `auto`). */
  readonly engineReason?: EngineReason;
  /** Per tier, set on the command line. */
  readonly commandLine?: Readonly<Record<string, EngineSettings>>;
  /** How each engine kind runs when Settings picks it (threads, CPU only, an EXO path). */
  readonly templates?: Partial<Readonly<Record<EngineKind, ResolvedEngineSettings>>>;
  /** Where the EXO app's API would answer. Default 52415; tests point it at an EXO double. */
  readonly exoAppPort?: number;
}

export class TierEngines {
  readonly #init: TierEnginesInit;
  #engine: ResolvedEngineSettings = { kind: 'exo' };
  #engineReason: EngineReason = 'chosen-on-command-line';
  #chosen: Readonly<Record<string, EngineKind>> = {};
  #server: EngineServer | null = null;
  #exoFound = false;
  #exoAppPort: number | null = null;

  constructor(init: TierEnginesInit) {
    this.#init = init;
    const engine = init.engine;
    // Before start, `auto` reads as EXO (as it always did).
    if (engine.kind !== 'auto') this.#engine = engine;
  }

  /** Resolves `auto` (looking for EXO once) and learns whether EXO is installed or the EXO app runs. */
  async start(): Promise<void> {
    const settings = this.#init.engine;
    const simulated = settings.simulated ?? false;
    // Simulated engines (devnets, tests) never use the machine's EXO app.
    const appPort = simulated ? null : (this.#init.exoAppPort ?? DEFAULT_EXO_API_PORT);
    this.#exoAppPort = appPort !== null && (await isExoAppRunning({ port: appPort })) ? appPort : null;
    this.#exoFound =
      this.#exoAppPort !== null ||
      (settings.kind === 'exo' && settings.exoPath !== undefined
        ? true
        : (await findExo({ ...(this.#templateExoPath() ? { exoPath: this.#templateExoPath()! } : {}) }))
            .found);
    if (settings.kind !== 'auto') {
      this.#engine = settings;
      this.#engineReason = simulated ? 'simulated' : (this.#init.engineReason ?? 'chosen-on-command-line');
      return;
    }
    const kind = resolveEngineChoice('auto', { openAiConfigured: false, exoInstalled: this.#exoFound });
    this.#engineReason = simulated
      ? 'simulated'
      : kind === 'builtin'
        ? 'builtin-default'
        : this.#exoAppPort !== null
          ? 'exo-app-running'
          : 'exo-found';
    this.#engine =
      kind === 'exo'
        ? {
            kind: 'exo',
            simulated,
            ...(settings.memoryMb === undefined ? {} : { memoryMb: settings.memoryMb }),
          }
        : {
            kind: 'builtin',
            simulated,
            ...(settings.gpuShare === undefined ? {} : { gpuShare: settings.gpuShare }),
          };
  }

  /**
   * The port of the EXO app's API when its EXO answered at start (null otherwise): one EXO tier is served
   * through it rather than by a second EXO of our own.
   */
  get exoAppPort(): number | null {
    return this.#exoAppPort;
  }

  /** The node's engine with `auto` resolved. */
  get engine(): ResolvedEngineSettings {
    return this.#engine;
  }

  /** EXO is installed here (PATH, the EXO app, or the configured path). */
  get exoInstalled(): boolean {
    return this.#exoFound;
  }

  get server(): EngineServer | null {
    return this.#server;
  }

  /** Some OpenAI-compatible server is known (from Settings or the command line). */
  get hasServer(): boolean {
    return (
      this.#server !== null ||
      this.#engine.kind === 'openai' ||
      this.#init.templates?.openai?.kind === 'openai'
    );
  }

  /** The contributor's choices from Settings (tiers not listed are `auto`). */
  setChosen(chosen: Readonly<Record<string, EngineKind>>, server: EngineServer | null): void {
    this.#chosen = { ...chosen };
    this.#server = server;
  }

  isLockedByCommandLine(tier: string): boolean {
    const own = this.#init.commandLine?.[tier];
    return own !== undefined && own.kind !== 'auto';
  }

  /** The engine settings a tier is served with. */
  settingsFor(tier: string): ResolvedEngineSettings {
    const own = this.#init.commandLine?.[tier];
    if (own !== undefined && own.kind !== 'auto') return own;
    const chosen = this.#chosen[tier];
    if (chosen !== undefined) return this.#settingsOfKind(chosen) ?? this.#engine;
    return this.#engine;
  }

  /** Which engine serves `tier` and why. */
  viewOf(tier: string): TierEngineView {
    const settings = this.settingsFor(tier);
    const locked = this.isLockedByCommandLine(tier);
    const chosen = this.#chosen[tier];
    const fromSettings = !locked && chosen !== undefined && this.#settingsOfKind(chosen) !== null;
    const simulated = settings.simulated ?? false;
    const reason: EngineReason = simulated
      ? 'simulated'
      : locked
        ? 'chosen-on-command-line'
        : fromSettings
          ? 'chosen-in-settings'
          : this.#engineReason;
    return {
      kind: settings.kind,
      simulated,
      choice: locked ? settings.kind : fromSettings ? chosen : 'auto',
      reason,
      text: `${engineKindText(settings.kind)}: ${engineReasonText(reason)}`,
      lockedByCommandLine: locked,
    };
  }

  /**
   * The settings an engine kind runs with when Settings picks it: the node's own when it is that kind, a
   * template, or the defaults. An OpenAI-compatible server needs its address (null without one).
   */
  #settingsOfKind(kind: EngineKind): ResolvedEngineSettings | null {
    const simulated = this.#engine.simulated ?? false;
    if (kind === 'openai') {
      const server = this.#server;
      const template = this.#init.templates?.openai;
      // Without one in Settings, the server given on the command line (--engine-url).
      if (server === null) {
        if (this.#engine.kind === 'openai') return this.#engine;
        return template?.kind === 'openai' ? template : null;
      }
      return {
        kind: 'openai',
        simulated,
        baseUrl: server.baseUrl,
        ...(template?.kind === 'openai' && template.apiKey ? { apiKey: template.apiKey } : {}),
        ...(server.model ? { model: server.model } : {}),
      };
    }
    if (this.#engine.kind === kind) return this.#engine;
    const template = this.#init.templates?.[kind];
    if (template?.kind === kind) return template;
    for (const settings of Object.values(this.#init.commandLine ?? {})) {
      if (settings.kind === kind) return settings;
    }
    return { kind, simulated };
  }

  #templateExoPath(): string | null {
    const template = this.#init.templates?.exo;
    return template?.kind === 'exo' && template.exoPath !== undefined ? template.exoPath : null;
  }
}
