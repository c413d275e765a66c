// `opengateway-node start`: the headless node in the foreground until SIGINT/SIGTERM (systemd-friendly).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REGION_IDS, parseRegionId, type RegionId } from '../../../src-shared/regions/index.ts';
import { defaultDataDir } from '../../node/locations.ts';
import { packageRoot } from '../../node/package-root.ts';
import { OpenGatewayNode } from '../../node/node.ts';
import { installLastResortHandlers, serveNode } from '../../node/local-api/serve-node.ts';
import {
  HARDWARE_ID_KINDS,
  type HardwareIdKind,
  type HardwareIds,
} from '../../node/identity/machine-fingerprint.ts';
import type { EngineKind } from '../../node/engine/engine.ts';
import { decideEngine, ENGINE_CHOICES, isEngineChoice } from '../../node/engine/engine-choice.ts';
import type { ResolvedEngineSettings } from '../../node/routing/routing-service.ts';
import { UsageError, parseCommandArgs, type CliCommand } from '../cli-command.ts';

const USAGE = `Usage: opengateway-node start [--data-dir DIR] [--network-config FILE] [--listen ADDR]...
                             [--bootstrap ADDR]... [--region REGION] [--relay] [--api-port PORT]

Runs the node in the foreground: onboarding (identity, resources, peers, region, tiers), joins the
clusters of its region (membership protocol 2). Stops cleanly on Ctrl-C / SIGTERM (leave announced, exit 0).

  --data-dir DIR          the node's data folder (default: ${defaultDataDir()})
  --network-config FILE   a signed network config; stored in the data folder for later starts
  --listen ADDR           a listen multiaddr, e.g. /ip4/0.0.0.0/tcp/4001 (repeat; default: random ports)
  --bootstrap ADDR        an extra bootstrap node, /ip4/…/tcp/…/p2p/<peer id> (repeat)
  --region REGION         use this region whatever the evidence says (${REGION_IDS.join(', ')})
  --relay                 serve as a relay and bootstrap node (public servers)
  --api-port PORT         the local API's port on 127.0.0.1 (default: a free port, written to api.json)
  --serve-tier TIER       serve TIER even if this machine does not qualify (devnets and tests)
  --membership-interval-ms MS
                          each member of this node's samples is probed once per MS (default 5000;
                          --heartbeat-ms is its old name: nothing heartbeats to the region any more)
  --engine ENGINE         builtin (llama.cpp, part of this app), exo, openai, or auto (default): EXO where
                          installed, the server given by --engine-url, otherwise builtin
  --exo-path PATH         the exo executable to run (default: found on PATH or in the EXO app)
  --tier-engine T=ENGINE  serve tier T with another engine than --engine (builtin, exo, openai; repeat)
  --engine-url URL        serve with an OpenAI-compatible server you run (Ollama, llama-server, LM Studio, vLLM)
                          instead of EXO; its API key, if any, from OPENGATEWAY_ENGINE_API_KEY
  --engine-model ID       the model to ask that server for (default: the first it lists)
  --engine-threads N      CPU threads of each built-in engine (default: the cores less one, shared by tiers)
  --engine-cpu-only       the built-in engine never uses a GPU (machines whose GPU driver misbehaves; devnets)
  --capacity N            requests this node serves at once per tier (default 2)
  --simulated-engine      the engine is a simulator (devnets): shown as such in status and the UI
  --simulated-machine ID  bind the ledger account to machine ID instead of this machine's hardware ids
                          (devnets: several nodes on one computer act as separate machines)`;

export const startCommand: CliCommand = {
  name: 'start',
  summary: 'run the node in the foreground until Ctrl-C / SIGTERM',
  usage: USAGE,
  async run(args, io, signal) {
    const { values } = parseCommandArgs(args, {
      'data-dir': { type: 'string' },
      'network-config': { type: 'string' },
      listen: { type: 'string', multiple: true },
      bootstrap: { type: 'string', multiple: true },
      region: { type: 'string' },
      relay: { type: 'boolean' },
      'api-port': { type: 'string' },
      'serve-tier': { type: 'string', multiple: true },
      'membership-interval-ms': { type: 'string' },
      'heartbeat-ms': { type: 'string' },
      'exo-path': { type: 'string' },
      engine: { type: 'string' },
      'tier-engine': { type: 'string', multiple: true },
      'engine-url': { type: 'string' },
      'engine-model': { type: 'string' },
      capacity: { type: 'string' },
      'engine-threads': { type: 'string' },
      'engine-cpu-only': { type: 'boolean' },
      'simulated-engine': { type: 'boolean' },
      'simulated-machine': { type: 'string' },
    });
    const machine = values['simulated-machine'];
    if (machine !== undefined && !/^[A-Za-z0-9._-]{1,64}$/.test(machine))
      throw new UsageError('--simulated-machine needs 1–64 letters, digits, dots, dashes or underscores');
    if (values['engine-url'] !== undefined && values['exo-path'] !== undefined) {
      throw new UsageError(
        'use either --exo-path (EXO) or --engine-url (an OpenAI-compatible server), not both',
      );
    }
    const engineUrl = values['engine-url'];
    if (engineUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(engineUrl)) {
      throw new UsageError(`--engine-url needs an http(s) URL, got "${engineUrl.slice(0, 100)}"`);
    }
    const choice = values.engine ?? 'auto';
    if (!isEngineChoice(choice)) {
      throw new UsageError(`unknown engine "${choice.slice(0, 40)}" (${ENGINE_CHOICES.join(', ')})`);
    }
    if (choice === 'openai' && engineUrl === undefined) {
      throw new UsageError('--engine openai needs --engine-url (the server to serve with)');
    }
    // An --exo-path is a choice of EXO as much as --engine exo is.
    const decided =
      choice === 'auto' && engineUrl === undefined && values['exo-path'] !== undefined
        ? { kind: 'exo' as const, reason: 'chosen-on-command-line' as const }
        : await decideEngine(choice, { openAiConfigured: engineUrl !== undefined, env: io.env });
    const engineKind = decided.kind;
    const tierEngines: Record<string, EngineKind> = {};
    for (const entry of values['tier-engine'] ?? []) {
      const match = /^([A-Za-z0-9._-]{1,64})=(builtin|exo|openai)$/.exec(entry);
      if (!match)
        throw new UsageError(`--tier-engine needs TIER=builtin|exo|openai, got "${entry.slice(0, 80)}"`);
      if (match[2] === 'openai' && engineUrl === undefined) {
        throw new UsageError('--tier-engine TIER=openai needs --engine-url (the server to serve with)');
      }
      tierEngines[match[1]!] = match[2] as EngineKind;
    }
    const capacity =
      values.capacity === undefined ? undefined : intIn(values.capacity, '--capacity', 1, 1024);
    const simulated = values['simulated-engine'] ?? false;
    const engineThreads =
      values['engine-threads'] === undefined
        ? undefined
        : intIn(values['engine-threads'], '--engine-threads', 1, 1024);
    const engineKey = io.env.OPENGATEWAY_ENGINE_API_KEY;
    let region: RegionId | null = null;
    if (values.region !== undefined) {
      region = parseRegionId(values.region);
      if (region === null)
        throw new UsageError(`unknown region "${values.region}" (one of: ${REGION_IDS.join(', ')})`);
    }
    const apiPort = values['api-port'] === undefined ? 0 : intIn(values['api-port'], '--api-port', 1, 65535);
    const intervalFlag =
      values['membership-interval-ms'] !== undefined ? '--membership-interval-ms' : '--heartbeat-ms';
    const intervalValue = values['membership-interval-ms'] ?? values['heartbeat-ms'];
    if (values['membership-interval-ms'] !== undefined && values['heartbeat-ms'] !== undefined)
      throw new UsageError('--heartbeat-ms is the old name of --membership-interval-ms: give one of them');
    const heartbeatMs =
      intervalValue === undefined ? undefined : intIn(intervalValue, intervalFlag, 50, 600_000);

    const settingsOf = (kind: EngineKind): ResolvedEngineSettings =>
      kind === 'builtin'
        ? {
            kind: 'builtin',
            simulated,
            ...(engineThreads !== undefined ? { threads: engineThreads } : {}),
            ...(values['engine-cpu-only'] ? { gpu: false as const } : {}),
          }
        : kind === 'openai' && engineUrl !== undefined
          ? {
              kind: 'openai',
              baseUrl: engineUrl,
              simulated,
              ...(engineKey ? { apiKey: engineKey } : {}),
              ...(values['engine-model'] ? { model: values['engine-model'] } : {}),
            }
          : { kind: 'exo', simulated, ...(values['exo-path'] ? { exoPath: values['exo-path'] } : {}) };
    const node = new OpenGatewayNode({
      dataDir: values['data-dir'] ?? defaultDataDir(io.env),
      ...(values['network-config'] !== undefined ? { networkConfigPath: values['network-config'] } : {}),
      ...(values.listen ? { listen: values.listen } : {}),
      bootstrap: values.bootstrap ?? [],
      region,
      relay: values.relay ?? false,
      serveTiers: values['serve-tier'] ?? [],
      ...(heartbeatMs !== undefined ? { heartbeatIntervalMs: heartbeatMs } : {}),
      version: appVersion(),
      log: (line) => io.stdout(line),
      ...(machine !== undefined
        ? { identity: { readHardwareIds: () => Promise.resolve(simulatedMachine(machine)) } }
        : {}),
      routing: {
        engine: settingsOf(engineKind),
        engineReason: decided.reason,
        // What Settings starts when it picks another engine for a tier: with this command line's options.
        engineTemplates: {
          builtin: settingsOf('builtin'),
          exo: settingsOf('exo'),
          ...(engineUrl !== undefined ? { openai: settingsOf('openai') } : {}),
        },
        ...(Object.keys(tierEngines).length > 0
          ? {
              tierEngines: Object.fromEntries(
                Object.entries(tierEngines).map(([t, k]) => [t, settingsOf(k)]),
              ),
            }
          : {}),
        ...(capacity !== undefined ? { capacityPerTier: capacity } : {}),
      },
    });
    node.addEventListener('status', (event) => {
      const status = event.detail;
      if (status.status === 'onboarding') io.stdout(`onboarding: ${status.step}`);
      else if (status.status === 'ready') io.stdout(`ready: contributing to ${status.clusters} cluster(s)`);
      else io.stdout(`status: ${status.status}`);
    });
    // A bug that escapes a handler is logged, and the node keeps serving (security finding 2).
    const uninstall = installLastResortHandlers({ log: (line) => io.stderr(line) });
    try {
      // A signal during start-up aborts it; serveNode then stops what had started.
      const served = await serveNode(node, {
        apiPort,
        shell: 'headless',
        log: (line) => io.stdout(line),
        signal,
      });
      if (!signal.aborted) {
        await new Promise<void>((resolve) =>
          signal.addEventListener('abort', () => resolve(), { once: true }),
        );
      }
      await served.stop();
    } finally {
      uninstall();
    }
    return 0;
  },
};

/** A machine with one id and nothing else: the fingerprint of a separate computer on a devnet. */
function simulatedMachine(id: string): HardwareIds {
  const ids = Object.fromEntries(HARDWARE_ID_KINDS.map((kind) => [kind, [] as string[]])) as Record<
    HardwareIdKind,
    string[]
  >;
  // Two strong ids: the ledger needs two shared ids to call two accounts one machine.
  ids['system-uuid'] = [`simulated-${id}`];
  ids['baseboard-serial'] = [`simulated-board-${id}`];
  return ids;
}

function intIn(text: string, flag: string, min: number, max: number): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max)
    throw new UsageError(`${flag} needs a whole number from ${min} to ${max}`);
  return value;
}

function appVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(join(packageRoot(import.meta.url), 'package.json'), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version.slice(0, 32) : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
