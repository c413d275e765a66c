// `opengateway-node engine status`: probes an inference engine and says what a contributor needs to know.
import {
  DEFAULT_EXO_URL,
  probeExo,
  probeOpenAi,
  type EngineProbeReport,
} from '../../node/engine/engine-probe.ts';
import { UsageError, parseCommandArgs, type CliCommand } from '../cli-command.ts';

const DEFAULT_OPENAI_URL = 'http://127.0.0.1:11434/v1';

const USAGE = `Usage: opengateway-node engine status [--engine exo|openai] [--url URL] [--exo-path PATH] [--json]

Probes an inference engine on this machine: whether it is installed (and how to install it), its
version, whether its API answers, and which models it has loaded and ready. Exits 0 whatever it finds.

  --engine exo|openai  EXO (default) or an OpenAI-compatible server (Ollama, llama-server, LM Studio, vLLM)
  --url URL            the engine's API (default: ${DEFAULT_EXO_URL} for EXO, ${DEFAULT_OPENAI_URL} for openai)
  --exo-path PATH      the exo executable to inspect (default: PATH, then the EXO app)
  --json               print one JSON object instead of text

The API key of an OpenAI-compatible server is read from OPENGATEWAY_ENGINE_API_KEY.`;

export const engineCommand: CliCommand = {
  name: 'engine',
  summary: 'probe the inference engine (EXO or an OpenAI-compatible server)',
  usage: USAGE,
  async run(args, io, signal) {
    const { values, positionals } = parseCommandArgs(
      args,
      {
        engine: { type: 'string' },
        url: { type: 'string' },
        'exo-path': { type: 'string' },
        json: { type: 'boolean' },
      },
      true,
    );
    if (positionals.length !== 1 || positionals[0] !== 'status') {
      throw new UsageError('expected `engine status` (see --help)');
    }
    const engine = values.engine ?? 'exo';
    if (engine !== 'exo' && engine !== 'openai')
      throw new UsageError(`unknown engine "${engine}" (exo or openai)`);
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
    io.stdout(values.json ? JSON.stringify(report) : formatReport(report));
    return 0;
  },
};

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
