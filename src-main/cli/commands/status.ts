// `opengateway-node status`: asks a running node for its state over the local API.
import { readApiEndpoint } from '../../node/local-api/http/api-endpoint-file.ts';
import { readApiKey } from '../../node/local-api/http/api-key.ts';
import { NodeNotRunningError } from '../../node/local-api/http/errors.ts';
import { defaultDataDir, locationsFor } from '../../node/locations.ts';
import type { NodeStatusReport } from '../../node/node.ts';
import { parseCommandArgs, type CliCommand } from '../cli-command.ts';

const USAGE = `Usage: opengateway-node status [--data-dir DIR] [--json]

Shows a running node's state: peer id, region and how it was decided, listen addresses, which engine
serves each tier and why, clusters joined and their members (up/paused/down), connection count.

  --data-dir DIR   the node's data folder (default: ${defaultDataDir()})
  --json           print the API's JSON (GET /api/status) instead of text`;

/** A status answer is a few KB; anything much larger is not our node talking. */
const MAX_STATUS_BYTES = 4 * 1024 * 1024;

export const statusCommand: CliCommand = {
  name: 'status',
  summary: "show a running node's peer id, region, clusters and members",
  usage: USAGE,
  async run(args, io, signal) {
    const { values } = parseCommandArgs(args, { 'data-dir': { type: 'string' }, json: { type: 'boolean' } });
    const text = await readStatusText(values['data-dir'] ?? defaultDataDir(io.env), signal);
    if (values.json) {
      io.stdout(text);
      return 0;
    }
    io.stdout(formatStatus(JSON.parse(text) as NodeStatusReport));
    return 0;
  },
};

/** One line per tier: "model-a  Built-in llama.cpp: chosen in Settings (serving)". */
export function formatTierEngines(report: NodeStatusReport): string[] {
  const serving = new Set(report.clusters.filter((c) => c.serving).map((c) => c.cluster.tier));
  const entries = Object.entries(report.tierEngines ?? {});
  if (entries.length === 0) return ['  (not decided yet)'];
  return entries.map(
    ([tier, view]) =>
      `  ${tier.padEnd(8)} ${view.text}${view.lockedByCommandLine ? ' (--tier-engine)' : ''}${serving.has(tier) ? ' (serving)' : ''}`,
  );
}

/** GET /api/status of the node running on `dataDir` (throws NodeNotRunningError when none answers). */
async function readStatusText(dataDir: string, signal: AbortSignal): Promise<string> {
  const locations = locationsFor(dataDir);
  const endpoint = await readApiEndpoint(locations.apiEndpoint);
  const key = await readApiKey(locations.apiKey);
  if (endpoint === null || key === null) throw new NodeNotRunningError(locations.dataDir, 'no api.json');
  let response: Response;
  try {
    response = await fetch(`${endpoint.url}/api/status`, {
      headers: { authorization: `Bearer ${key}` },
      signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]),
    });
  } catch {
    throw new NodeNotRunningError(locations.dataDir, `nothing answers at ${endpoint.url}`);
  }
  const text = await response.text();
  if (text.length > MAX_STATUS_BYTES || !response.ok)
    throw new NodeNotRunningError(
      locations.dataDir,
      `the API at ${endpoint.url} answered ${response.status}`,
    );
  return text;
}

/** The report of the node running on `dataDir`; null when none runs there (or it does not answer). */
export async function readRunningReport(
  dataDir: string,
  signal: AbortSignal,
): Promise<NodeStatusReport | null> {
  try {
    const report = JSON.parse(await readStatusText(dataDir, signal)) as unknown;
    return typeof report === 'object' && report !== null ? (report as NodeStatusReport) : null;
  } catch (error) {
    if (error instanceof NodeNotRunningError || error instanceof SyntaxError) return null;
    throw error;
  }
}

function formatStatus(report: NodeStatusReport): string {
  const state = report.state;
  const region = report.region;
  const lines = [
    `Node ${report.peerId ?? '(unknown)'} on network ${report.networkId ?? '(none)'}`,
    `  state        ${state.status}${state.status === 'onboarding' ? ` (${state.step})` : ''}`,
    `  region       ${region?.region ?? 'unknown'}${region ? ` (${region.source}: ${region.detail})` : ''}`,
    `  connections  ${report.connections}`,
    `  listening    ${report.listenAddresses.join('\n               ') || '(none)'}`,
    '',
    'Engines (which serves each tier, and why)',
    ...formatTierEngines(report),
    '',
    'Clusters',
  ];
  if (report.clusters.length === 0) lines.push('  (none joined)');
  for (const cluster of report.clusters) {
    const up = cluster.members.filter((m) => m.status === 'up').length;
    lines.push(
      `  ${cluster.key}${cluster.serving ? ' (serving)' : ' (watching)'}: ${up} up of ${cluster.members.length}`,
    );
    for (const member of cluster.members) {
      const reason = member.downReason ? `, ${member.downReason}` : '';
      lines.push(
        `    ${member.status.padEnd(6)} ${member.peerId}${member.self ? ' (this node)' : ''}${reason}`,
      );
    }
  }
  return lines.join('\n');
}
