// Which EXO is installed, told apart by the flags its `--help` lists (ref/exo-integration.md §0, §9.1), and
// how to launch each supported generation as one isolated process per cluster (§3.3).
import { join } from 'node:path';

/**
 * `zenoh`: HEAD after v1.0.71 (`--namespace`, `--zenoh-port`, `--discovery-port`).
 * `libp2p`: v1.0.69–v1.0.71 (`--libp2p-port`, namespace via EXO_LIBP2P_NAMESPACE).
 * `libp2p-early`: v1.0.60–v1.0.68 (only `--api-port`; namespace via EXO_LIBP2P_NAMESPACE).
 * `legacy`: the pre-rewrite exo 0.0.x (`--chatgpt-api-port`): no instance API, not supported.
 */
export type ExoGeneration = 'zenoh' | 'libp2p' | 'libp2p-early' | 'legacy' | 'unknown';

export const EXO_GENERATION_LABELS: Readonly<Record<ExoGeneration, string>> = {
  zenoh: 'EXO after v1.0.71 (zenoh networking)',
  libp2p: 'EXO v1.0.69–v1.0.71 (libp2p networking)',
  'libp2p-early': 'EXO v1.0.60–v1.0.68 (libp2p networking)',
  legacy: 'exo 0.0.x (the pre-rewrite version)',
  unknown: 'an EXO whose command-line options this version of OpenGateway does not recognise',
};

export function isSupportedGeneration(generation: ExoGeneration): boolean {
  return generation === 'zenoh' || generation === 'libp2p' || generation === 'libp2p-early';
}

/** Reads the generation from the text `exo --help` printed. */
export function detectExoGeneration(help: string): ExoGeneration {
  const has = (flag: string) => new RegExp(`(^|[\\s\\[,])${flag}(?=[\\s\\]=,]|$)`, 'm').test(help);
  if (has('--chatgpt-api-port')) return 'legacy';
  if (has('--zenoh-port')) return 'zenoh';
  if (has('--libp2p-port')) return 'libp2p';
  if (has('--api-port')) return 'libp2p-early';
  return 'unknown';
}

/** Why a generation cannot be used, and what to do about it. */
export function unsupportedGenerationMessage(generation: ExoGeneration, path: string): string {
  if (generation === 'legacy') {
    return (
      `${path} is ${EXO_GENERATION_LABELS.legacy}, which has no instance API; ` +
      'install EXO v1.0.60 or newer (https://github.com/exo-explore/exo)'
    );
  }
  return `${path} is ${EXO_GENERATION_LABELS[generation]}; install EXO v1.0.60 or newer (https://github.com/exo-explore/exo)`;
}

/** Everything that makes one cluster's EXO process independent of the others on this machine. */
export interface ExoLaunchSettings {
  readonly exoHome: string;
  readonly apiPort: number;
  /** Discovery namespace: nodes with different namespaces never connect. */
  readonly namespace?: string;
  readonly zenohPort?: number;
  readonly discoveryPort?: number;
  readonly libp2pPort?: number;
  /** Memory this process may offer (OVERRIDE_MEMORY_MB), so co-located clusters do not overcommit. */
  readonly memoryMb?: number;
  readonly extraArgs?: readonly string[];
  /** Added to (and overriding) the inherited environment. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface ExoLaunch {
  readonly args: string[];
  readonly env: NodeJS.ProcessEnv;
}

/** Command-line arguments and environment for one cluster's EXO process of the given generation. */
export function exoLaunch(
  generation: ExoGeneration,
  settings: ExoLaunchSettings,
  baseEnv: NodeJS.ProcessEnv,
): ExoLaunch {
  const env: NodeJS.ProcessEnv = { ...baseEnv };
  // At HEAD these two are fatal at start-up (ValueError, exit 1); before it, ours must not be overridden.
  delete env.EXO_LIBP2P_NAMESPACE;
  delete env.EXO_BOOTSTRAP_PEERS;
  env.EXO_HOME = settings.exoHome;
  if (settings.memoryMb !== undefined) env.OVERRIDE_MEMORY_MB = String(Math.floor(settings.memoryMb));
  const args = ['--api-port', String(settings.apiPort)];
  switch (generation) {
    case 'zenoh':
      if (settings.namespace !== undefined) {
        args.push('--namespace', settings.namespace);
        // Only logged at HEAD, but it makes the log say which cluster this process serves.
        env.EXO_ZENOH_NAMESPACE = settings.namespace;
      }
      if (settings.zenohPort !== undefined) args.push('--zenoh-port', String(settings.zenohPort));
      if (settings.discoveryPort !== undefined) args.push('--discovery-port', String(settings.discoveryPort));
      break;
    case 'libp2p':
      if (settings.libp2pPort !== undefined) args.push('--libp2p-port', String(settings.libp2pPort));
      if (settings.namespace !== undefined) env.EXO_LIBP2P_NAMESPACE = settings.namespace;
      break;
    case 'libp2p-early':
      if (settings.namespace !== undefined) env.EXO_LIBP2P_NAMESPACE = settings.namespace;
      break;
    case 'legacy':
    case 'unknown':
      throw new Error(`cannot launch ${EXO_GENERATION_LABELS[generation]}`);
  }
  args.push(...(settings.extraArgs ?? []));
  Object.assign(env, settings.env);
  return { args, env };
}

/** With EXO_HOME set, EXO's config, data and cache directories are all EXO_HOME. */
export function exoHomePaths(exoHome: string) {
  return {
    /** Its presence stops EXO opening a browser on its first start. */
    dashboardOpenedMarker: join(exoHome, '.dashboard_opened'),
    /** EXO's own log file (no colours, with module info). */
    logFile: join(exoHome, 'exo_log', 'exo.log'),
  };
}
