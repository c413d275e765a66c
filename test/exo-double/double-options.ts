// The double's own options (not EXO's): from `--double-<name> value` flags or `EXO_DOUBLE_<NAME>` variables.
// The environment route exists because the supervisor launches the double as `exo` with EXO's flags only.

export type DoubleGeneration = 'zenoh' | 'libp2p' | 'libp2p-early' | 'legacy';
export type MalformedSseKind = 'json' | 'huge-line' | 'no-done' | 'bad-utf8';

export interface DoubleOptions {
  /** Which EXO the double imitates (its --help and flags). */
  readonly generation: DoubleGeneration;
  /** Address the API binds (EXO binds 0.0.0.0; tests need only loopback). */
  readonly host: string;
  /** Tokens per second per generation; 0 streams as fast as the socket takes them. */
  readonly tokenRate: number;
  /** Completion length when a request sets no max_tokens (then finish_reason is "stop"). */
  readonly defaultTokens: number;
  /** Delay before the API binds: a slow start. */
  readonly startDelayMs: number;
  /** Time per runner lifecycle step (connecting, each quarter of the layers, warm-up). */
  readonly loadStepMs: number;
  /** Simulated model download before loading; 0 skips the download phase. */
  readonly downloadMs: number;
  /** EXO nodes in the simulated cluster (this process plus peers on the owner's LAN). */
  readonly nodes: number;
  /**
   * The address of each simulated peer node (in order), as EXO's topology reports where it reached them;
   * default 127.0.0.2, 127.0.0.3, … (this node is at `host`, or 127.0.0.1 when that is 0.0.0.0).
   */
  readonly peerAddresses: readonly string[];
  /** RAM per node offered for placement (OVERRIDE_MEMORY_MB wins for this node). */
  readonly ramMb: number;
  /** A model placed at start, as when the EXO app already serves one. */
  readonly preplace: string | null;
  /** Faults, each applied only on the starts in `faultStarts` (and requests in `faultRequests`). */
  readonly crashAfterMs: number | null;
  readonly crashAfterTokens: number | null;
  readonly malformedSse: MalformedSseKind | null;
  readonly malformedAfterTokens: number;
  /** Ignore SIGTERM and keep a runner child that ignores it too. */
  readonly hang: boolean;
  /** Stop answering HTTP this long after the API came up. */
  readonly hangApiAfterMs: number | null;
  /** Every placement preview carries an error (not enough memory). */
  readonly refusePlacement: boolean;
  /** POST /instance is acknowledged but the instance never appears (EXO logs the failure only). */
  readonly dropPlacement: boolean;
  /** A runner fails half-way through loading with this message. */
  readonly runnerFail: string | null;
  /** Start ordinals (counted in EXO_HOME) on which faults apply; null: every start. */
  readonly faultStarts: ReadonlySet<number> | null;
  /** Chat request ordinals (per process) on which request faults apply; null: every request. */
  readonly faultRequests: ReadonlySet<number> | null;
  /** How long a graceful shutdown takes. */
  readonly shutdownMs: number;
  /** Keep-alive comment interval while a chat waits or streams slowly. */
  readonly keepAliveMs: number;
  /** Exit when the process that started the double goes away (tests and benchmarks never leave it behind). */
  readonly exitWithParent: boolean;
}

const NAMES = [
  'generation',
  'host',
  'token-rate',
  'default-tokens',
  'start-delay-ms',
  'load-step-ms',
  'download-ms',
  'nodes',
  'peer-addresses',
  'ram-mb',
  'preplace',
  'crash-after-ms',
  'crash-after-tokens',
  'malformed-sse',
  'malformed-after-tokens',
  'hang',
  'hang-api-after-ms',
  'refuse-placement',
  'drop-placement',
  'runner-fail',
  'fault-starts',
  'fault-requests',
  'shutdown-ms',
  'keep-alive-ms',
  'exit-with-parent',
] as const;
type Name = (typeof NAMES)[number];

/** Splits argv into the double's options and the arguments meant for the imitated EXO CLI. */
export function parseDoubleOptions(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): { options: DoubleOptions; exoArgs: string[] } {
  const raw = new Map<Name, string>();
  for (const name of NAMES) {
    const value = env[`EXO_DOUBLE_${name.toUpperCase().replaceAll('-', '_')}`];
    if (value !== undefined && value !== '') raw.set(name, value);
  }
  const exoArgs: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (!arg.startsWith('--double-')) {
      exoArgs.push(arg);
      continue;
    }
    const [flag, inline] = arg.slice('--double-'.length).split(/=(.*)/s, 2) as [string, string | undefined];
    if (!(NAMES as readonly string[]).includes(flag))
      throw new Error(`unknown double option --double-${flag}`);
    const name = flag as Name;
    const isSwitch =
      name === 'hang' ||
      name === 'refuse-placement' ||
      name === 'drop-placement' ||
      name === 'exit-with-parent';
    const value = inline ?? (isSwitch ? 'true' : argv[++i]);
    if (value === undefined) throw new Error(`--double-${name} needs a value`);
    raw.set(name, value);
  }
  const number = (name: Name, fallback: number) => {
    const value = raw.get(name);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < 0) throw new Error(`--double-${name} must be a number ≥ 0`);
    return parsed;
  };
  const optionalNumber = (name: Name) => (raw.has(name) ? number(name, 0) : null);
  const flag = (name: Name) => ['1', 'true', 'yes'].includes(raw.get(name) ?? '');
  const ordinals = (name: Name) => {
    const value = raw.get(name);
    if (value === undefined || value === 'all') return null;
    return new Set(value.split(',').map((part) => Number(part.trim())));
  };
  const generation = (raw.get('generation') ?? 'zenoh') as DoubleGeneration;
  if (!['zenoh', 'libp2p', 'libp2p-early', 'legacy'].includes(generation)) {
    throw new Error(`--double-generation must be zenoh, libp2p, libp2p-early or legacy`);
  }
  const malformed = (raw.get('malformed-sse') ?? null) as MalformedSseKind | null;
  if (malformed !== null && !['json', 'huge-line', 'no-done', 'bad-utf8'].includes(malformed)) {
    throw new Error('--double-malformed-sse must be json, huge-line, no-done or bad-utf8');
  }
  return {
    exoArgs,
    options: {
      generation,
      host: raw.get('host') ?? '127.0.0.1',
      tokenRate: number('token-rate', 100),
      defaultTokens: number('default-tokens', 24),
      startDelayMs: number('start-delay-ms', 0),
      loadStepMs: number('load-step-ms', 20),
      downloadMs: number('download-ms', 0),
      nodes: Math.max(1, Math.floor(number('nodes', 1))),
      peerAddresses: (raw.get('peer-addresses') ?? '')
        .split(',')
        .map((part) => part.trim())
        .filter((part) => part !== ''),
      ramMb: number('ram-mb', 16_384),
      preplace: raw.get('preplace') ?? null,
      crashAfterMs: optionalNumber('crash-after-ms'),
      crashAfterTokens: optionalNumber('crash-after-tokens'),
      malformedSse: malformed,
      malformedAfterTokens: number('malformed-after-tokens', 2),
      hang: flag('hang'),
      hangApiAfterMs: optionalNumber('hang-api-after-ms'),
      refusePlacement: flag('refuse-placement'),
      dropPlacement: flag('drop-placement'),
      runnerFail: raw.get('runner-fail') ?? null,
      faultStarts: ordinals('fault-starts'),
      faultRequests: ordinals('fault-requests'),
      shutdownMs: number('shutdown-ms', 100),
      keepAliveMs: number('keep-alive-ms', 10_000),
      exitWithParent: flag('exit-with-parent'),
    },
  };
}
