// EXO's command line as each generation's argparse defines it (ref/exo-integration.md §1.1, §8): the same
// --help text shape, the same flags, exit code 2 with argparse's message for anything else.
import type { DoubleGeneration } from './double-options.ts';

export interface ExoCliArgs {
  readonly apiPort: number;
  readonly noApi: boolean;
  readonly namespace: string | null;
  readonly zenohPort: number | null;
  readonly discoveryPort: number | null;
  readonly libp2pPort: number | null;
  readonly bootstrapPeers: string | null;
  readonly verbosity: number;
}

type FlagKind = 'switch' | 'count' | 'int' | 'string';
interface Flag {
  readonly names: readonly string[];
  readonly kind: FlagKind;
  readonly key?: keyof ExoCliArgs;
  readonly metavar?: string;
  readonly help?: string;
}

const VERBOSITY: Flag[] = [
  { names: ['-q', '--quiet'], kind: 'count' },
  { names: ['-v', '--verbose'], kind: 'count', key: 'verbosity' },
];
const COMMON: Flag[] = [
  { names: ['-m', '--force-master'], kind: 'switch' },
  { names: ['--no-api'], kind: 'switch', key: 'noApi' },
  { names: ['--api-port'], kind: 'int', key: 'apiPort', metavar: 'API_PORT' },
  { names: ['--no-worker'], kind: 'switch' },
  { names: ['--no-downloads'], kind: 'switch' },
];
const FAST_SYNCH: Flag[] = [
  { names: ['--fast-synch'], kind: 'switch' },
  { names: ['--no-fast-synch'], kind: 'switch' },
];

const FLAGS: Record<Exclude<DoubleGeneration, 'legacy'>, Flag[]> = {
  zenoh: [
    ...VERBOSITY,
    ...COMMON,
    { names: ['--offline'], kind: 'switch' },
    { names: ['--no-batch'], kind: 'switch' },
    { names: ['--legacy-daemon'], kind: 'switch' },
    { names: ['--bootstrap-peers'], kind: 'string', key: 'bootstrapPeers', metavar: 'BOOTSTRAP_PEERS' },
    { names: ['--namespace'], kind: 'string', key: 'namespace', metavar: 'NAMESPACE' },
    { names: ['--zenoh-port'], kind: 'int', key: 'zenohPort', metavar: 'ZENOH_PORT' },
    { names: ['--discovery-port'], kind: 'int', key: 'discoveryPort', metavar: 'DISCOVERY_PORT' },
    ...FAST_SYNCH,
  ],
  libp2p: [
    ...VERBOSITY,
    ...COMMON,
    { names: ['--offline'], kind: 'switch' },
    { names: ['--no-batch'], kind: 'switch' },
    { names: ['--bootstrap-peers'], kind: 'string', key: 'bootstrapPeers', metavar: 'BOOTSTRAP_PEERS' },
    { names: ['--libp2p-port'], kind: 'int', key: 'libp2pPort', metavar: 'LIBP2P_PORT' },
    ...FAST_SYNCH,
  ],
  'libp2p-early': [...VERBOSITY, ...COMMON, ...FAST_SYNCH],
};

const LEGACY_HELP = `usage: exo [-h] [--default-model DEFAULT_MODEL] [--iters ITERS] [--save-every SAVE_EVERY]
           [--data DATA] [--batch-size BATCH_SIZE] [--resume-checkpoint RESUME_CHECKPOINT]
           [--save-checkpoint-dir SAVE_CHECKPOINT_DIR] [--node-id NODE_ID] [--node-host NODE_HOST]
           [--node-port NODE_PORT] [--models-seed-dir MODELS_SEED_DIR] [--listen-port LISTEN_PORT]
           [--download-quick-check] [--max-parallel-downloads MAX_PARALLEL_DOWNLOADS]
           [--broadcast-port BROADCAST_PORT] [--discovery-module {udp,tailscale,manual}]
           [--discovery-timeout DISCOVERY_TIMEOUT] [--discovery-config-path DISCOVERY_CONFIG_PATH]
           [--wait-for-peers WAIT_FOR_PEERS] [--chatgpt-api-port CHATGPT_API_PORT]
           [--chatgpt-api-response-timeout CHATGPT_API_RESPONSE_TIMEOUT]
           [--max-generate-tokens MAX_GENERATE_TOKENS] [--inference-engine INFERENCE_ENGINE]
           [--disable-tui | --no-disable-tui] [--run-model RUN_MODEL] [--prompt PROMPT]
           [--default-temp DEFAULT_TEMP] [--tailscale-api-key TAILSCALE_API_KEY]
           [--tailnet-name TAILNET_NAME] [--node-id-filter NODE_ID_FILTER]
           [--interface-type-filter INTERFACE_TYPE_FILTER] [--system-prompt SYSTEM_PROMPT]
           [{run,eval,train}] [model_name]

exo - distributed inference

positional arguments:
  {run,eval,train}      Command to run
  model_name            Model name to run

options:
  -h, --help            show this help message and exit
  --chatgpt-api-port CHATGPT_API_PORT
                        ChatGPT API port
`;

function usageLine(flags: readonly Flag[]): string {
  const parts = flags.map((flag) => {
    const name = flag.names[0]!;
    return flag.metavar ? `[${name} ${flag.metavar}]` : `[${name}]`;
  });
  return `usage: EXO [-h] ${parts.join(' ')}`;
}

/** What `exo --help` prints for the generation. */
export function helpText(generation: DoubleGeneration): string {
  if (generation === 'legacy') return LEGACY_HELP;
  const flags = FLAGS[generation];
  const lines = flags.map((flag) => `  ${flag.names.join(', ')}${flag.metavar ? ` ${flag.metavar}` : ''}`);
  return `${usageLine(flags)}\n\noptions:\n  -h, --help            show this help message and exit\n${lines.join('\n')}\n`;
}

export class ArgparseError extends Error {}

/** Parses EXO's arguments as the generation's argparse would. Throws ArgparseError (exit 2). */
export function parseExoArgs(generation: DoubleGeneration, args: readonly string[]): ExoCliArgs {
  const defaults: Record<string, unknown> = {
    apiPort: generation === 'legacy' ? null : 52415,
    noApi: false,
    namespace: null,
    zenohPort: null,
    discoveryPort: null,
    libp2pPort: null,
    bootstrapPeers: null,
    verbosity: 0,
  };
  if (generation === 'legacy') {
    for (let i = 0; i < args.length; i += 1) {
      if (args[i] === '--chatgpt-api-port') defaults.apiPort = Number(args[++i]);
    }
    return { ...(defaults as unknown as ExoCliArgs), apiPort: (defaults.apiPort as number | null) ?? 52415 };
  }
  const flags = FLAGS[generation];
  const unknown: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const [name, inline] = args[i]!.split(/=(.*)/s, 2) as [string, string | undefined];
    const flag = flags.find((candidate) => candidate.names.includes(name));
    if (!flag) {
      unknown.push(args[i]!);
      continue;
    }
    if (flag.kind === 'switch' || flag.kind === 'count') {
      if (flag.key) defaults[flag.key] = flag.kind === 'count' ? (defaults[flag.key] as number) + 1 : true;
      continue;
    }
    const value = inline ?? args[++i];
    if (value === undefined)
      throw new ArgparseError(`${usageLine(flags)}\nEXO: error: argument ${name}: expected one argument`);
    if (flag.kind === 'int' && !/^-?\d+$/.test(value)) {
      throw new ArgparseError(
        `${usageLine(flags)}\nEXO: error: argument ${name}: invalid int value: '${value}'`,
      );
    }
    if (flag.key) defaults[flag.key] = flag.kind === 'int' ? Number(value) : value;
  }
  if (unknown.length > 0) {
    throw new ArgparseError(`${usageLine(flags)}\nEXO: error: unrecognized arguments: ${unknown.join(' ')}`);
  }
  return defaults as unknown as ExoCliArgs;
}
