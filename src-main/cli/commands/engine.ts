// `opengateway-node engine status`: probes an inference engine and says what a contributor needs to know.
import {
  DEFAULT_EXO_URL,
  probeExo,
  probeOpenAi,
  type EngineProbeReport,
} from '../../node/engine/engine-probe.ts';
import { join } from 'node:path';
import { probeBuiltin, type BuiltinProbeReport } from '../../node/engine/builtin/builtin-probe.ts';
import { defaultDataDir, locationsFor } from '../../node/locations.ts';
import { ModelCache } from '../../node/models/model-cache.ts';
import { UsageError, parseCommandArgs, type CliCommand } from '../cli-command.ts';
import type { NodeStatusReport } from '../../node/node-status.ts';
import { formatTierEngines, readRunningReport } from './status.ts';

const DEFAULT_OPENAI_URL = 'http://127.0.0.1:11434/v1';

const USAGE = `Usage: opengateway-node engine status [--engine builtin|exo|openai] [--url URL] [--exo-path PATH]
                                     [--data-dir DIR] [--json]

Probes an inference engine on this machine: whether it is installed (and how to install it), its
version, whether its API answers, and which models it has loaded and ready. Exits 0 whatever it finds.
For the built-in engine: the backend llama.cpp runs on (cpu, metal, cuda, vulkan), the GPUs it sees,
and the model files in the cache with their SHA-256, each ready or not. When a node runs on the data
folder, it first lists which engine serves each tier there and why (JSON: \`tiers\`).

  --engine builtin|exo|openai  the built-in llama.cpp, EXO (default), or an OpenAI-compatible server
                       (Ollama, llama-server, LM Studio, vLLM)
  --data-dir DIR       builtin: the node's data folder, whose model cache is listed (default: ${defaultDataDir()})
  --url URL            the engine's API (default: ${DEFAULT_EXO_URL} for EXO, ${DEFAULT_OPENAI_URL} for openai)
  --exo-path PATH      the exo executable to inspect (default: PATH, then the EXO app)
  --json               print one JSON object instead of text

The API key of an OpenAI-compatible server is read from OPENGATEWAY_ENGINE_API_KEY.`;

export const engineCommand: CliCommand = {
  name: 'engine',
  summary: 'probe the inference engine (built-in llama.cpp, EXO or an OpenAI-compatible server)',
  usage: USAGE,
  async run(args, io, signal) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        engine: { type: 'string' },
        url: { type: 'string' },
        'exo-path': { type: 'string' },
        'data-dir': { type: 'string' },
        json: { type: 'boolean' },
      },
      true,
    );
    if (positionals.length !== 1 || positionals[0] !== 'status') {
      throw new UsageError('expected `engine status` (see --help)');
    }
    const engine = values.engine ?? 'exo';
    if (engine !== 'builtin' && engine !== 'exo' && engine !== 'openai')
      throw new UsageError(`unknown engine "${engine}" (builtin, exo or openai)`);
    const dataDir = values['data-dir'] ?? defaultDataDir(io.env);
    // The running node's choice per tier comes first: it is what a contributor asks "which engine?" about.
    const running = await readRunningReport(dataDir, signal);
    const tiers = running === null ? null : tierEnginesOf(running);
    const heading =
      running === null ? '' : `${['Serving on this node', ...formatTierEngines(running)].join('\n')}\n\n`;
    if (engine === 'builtin') {
      const cache = new ModelCache(locationsFor(dataDir).modelsDir);
      const builtin = await probeBuiltin({
        cacheDir: cache.dir,
        cached: await cache.list(),
        pathOf: (model, fileName) => join(cache.dir, model.key, fileName),
      });
      io.stdout(values.json ? JSON.stringify({ ...builtin, tiers }) : heading + formatBuiltinReport(builtin));
      return 0;
    }
    if (values.url !== undefined && !URL.canParse(values.url))
      throw new UsageError(`not a URL: ${values.url}`);
    const apiKey = io.env.OPENGATEWAY_ENGINE_API_KEY;
    const report =
      engine === 'exo'
        ? await probeExo({
            ...(values.url === undefined ? {} : { url: values.url }),
            ...(values['exo-path'] === undefined ? {} : { exoPath: values['exo-path'] }),
            env: io.env,
            signal,
          })
        : await probeOpenAi({ url: values.url ?? DEFAULT_OPENAI_URL, ...(apiKey ? { apiKey } : {}), signal });
    io.stdout(values.json ? JSON.stringify({ ...report, tiers }) : heading + formatReport(report));
    return 0;
  },
};

/** Per tier of the running node: the engine, why, and whether it serves now. */
function tierEnginesOf(report: NodeStatusReport) {
  const serving = new Set(report.clusters.filter((c) => c.serving).map((c) => c.cluster.tier));
  return Object.fromEntries(
    Object.entries(report.tierEngines ?? {}).map(([tier, view]) => [
      tier,
      { kind: view.kind, simulated: view.simulated, reason: view.text, serving: serving.has(tier) },
    ]),
  );
}

function formatBuiltinReport(report: BuiltinProbeReport): string {
  const mib = (bytes: number) => `${Math.round(bytes / (1024 * 1024))} MiB`;
  const lines = ['Built-in engine (llama.cpp)'];
  lines.push(`  Backend    ${report.backend ?? 'none: llama.cpp does not load'}`);
  if (report.gpuDevices.length > 0) {
    lines.push(
      `  GPUs       ${report.gpuDevices.join(', ')} (${mib(report.gpuMemory.freeBytes)} free of ${mib(report.gpuMemory.totalBytes)})`,
    );
  }
  lines.push(`  Threads    ${report.threads} of ${report.cpuCores} cores`);
  lines.push(`  Version    node-llama-cpp ${report.nodeLlamaCpp ?? 'unknown'}`);
  lines.push(`  Cache      ${report.cacheDir}`);
  if (report.models.length === 0) lines.push('  Models     none downloaded');
  for (const model of report.models) {
    lines.push(`  Model      ${model.id}: ${model.ready ? 'ready' : 'not ready'}`);
    for (const file of model.files) {
      lines.push(
        `    ${file.name}  ${mib(file.sizeBytes)}  sha256 ${file.sha256}${file.present ? '' : '  (missing)'}`,
      );
    }
  }
  for (const problem of report.problems) lines.push(`  Problem    ${problem}`);
  return lines.join('\n');
}

function formatReport(report: EngineProbeReport): string {
  const lines: string[] = [];
  if (report.engine === 'exo') {
    lines.push('EXO');
    if (!report.found) {
      lines.push('  Installed  no: EXO was not found (no `exo` on PATH or in the EXO app)');
      lines.push(`  Install    ${report.install ?? ''}`);
    } else {
      lines.push(`  Installed  ${report.path} (${report.source})`);
      const support = report.supported === false ? ' (not supported: install EXO v1.0.60 or newer)' : '';
      lines.push(`  Version    ${report.generationLabel ?? 'unknown'}${support}`);
    }
  } else {
    lines.push('OpenAI-compatible server');
  }
  lines.push(
    `  API        ${report.url}: ${report.reachable ? `answers${report.nodeId ? ` (node ${report.nodeId})` : ''}` : 'not reachable'}`,
  );
  if (report.reachable) {
    if (report.models.length === 0) {
      lines.push(`  Models     none ${report.engine === 'exo' ? 'placed' : 'listed'}`);
    }
    for (const model of report.models) {
      const state = model.ready
        ? 'ready'
        : `loading${model.progress === undefined ? '' : ` ${Math.round(model.progress * 100)}%`}`;
      lines.push(`  Model      ${model.id}: ${state}`);
    }
  }
  for (const problem of report.problems) lines.push(`  Problem    ${problem}`);
  return lines.join('\n');
}
