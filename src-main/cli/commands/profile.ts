// `opengateway-node profile`: what this machine can contribute, where it is, and which tiers it qualifies for.
import { REGION_IDS, REGION_LABELS, countryName, parseRegionId } from '../../../src-shared/regions/index.ts';
import { DEFAULT_TIERS, formatGb } from '../../../src-shared/tiers/index.ts';
import { defaultDataDir } from '../../node/locations.ts';
import { buildOnboardingReport, type OnboardingReport } from '../../node/onboarding/onboarding-report.ts';
import { UsageError, parseCommandArgs, type CliCommand } from '../cli-command.ts';

const USAGE = `Usage: opengateway-node profile [--json] [--ip ADDR] [--region REGION] [--data-dir DIR]

Runs the onboarding steps on this machine and prints them: resources, the region and how it was
decided, and every model tier with qualified or not and why.

  --json           print one JSON object instead of text
  --ip ADDR        geolocate this public address instead of discovering one (testing, checking a VPN)
  --region REGION  use this region whatever the evidence says (${REGION_IDS.join(', ')})
  --data-dir DIR   the node's data folder (default: ${defaultDataDir()})`;

export const profileCommand: CliCommand = {
  name: 'profile',
  summary: 'show what this machine can contribute, its region, and the tiers it qualifies for',
  usage: USAGE,
  async run(args, io, signal) {
    const { values } = parseCommandArgs(args, {
      json: { type: 'boolean' },
      ip: { type: 'string' },
      region: { type: 'string' },
      'data-dir': { type: 'string' },
    });
    let regionOverride = null;
    if (values.region !== undefined) {
      regionOverride = parseRegionId(values.region);
      if (!regionOverride) {
        throw new UsageError(`unknown region "${values.region}" (one of: ${REGION_IDS.join(', ')})`);
      }
    }
    const report = await buildOnboardingReport({
      dataDir: values['data-dir'] ?? defaultDataDir(io.env),
      givenIp: values.ip ?? null,
      regionOverride,
      tiers: DEFAULT_TIERS,
      signal,
    });
    if (values.json) {
      io.stdout(
        JSON.stringify({
          peerId: report.peerId,
          dataDir: report.dataDir,
          region: report.region.region,
          regionSource: report.region.source,
          regionDecision: report.region,
          resources: report.resources,
          sizes: report.sizes,
          tiers: report.tiers,
        }),
      );
    } else {
      io.stdout(formatReport(report));
    }
    return 0;
  },
};

function formatReport(report: OnboardingReport): string {
  const { resources, sizes, region } = report;
  const cpu = resources.cpu;
  const clock = cpu.speedGhz === null ? 'clock unknown' : `${cpu.speedGhz} GHz`;
  const gpu = sizes.gpuModel ? `${sizes.gpuModel}, ${formatGb(sizes.gpuMemoryGb)}` : 'none usable for models';
  const regionLine =
    region.region === null
      ? `Unknown: ${region.detail}. Choose one with --region.`
      : `${REGION_LABELS[region.region]} (${region.source}): ${region.detail}`;
  const lines = [
    `Node ${report.peerId}`,
    `Data folder ${report.dataDir}`,
    '',
    'Resources',
    `  CPU     ${sizes.cpuCores} cores (${cpu.model}, ${cpu.arch}, ${clock})`,
    `  Memory  ${formatGb(sizes.ramGb)}`,
    `  GPU     ${gpu}`,
    `  Disk    ${formatGb(sizes.freeDiskGb)} free where models are stored (${resources.disk.path})`,
    '',
    `Region    ${regionLine}`,
  ];
  if (region.vpnSuspected)
    lines.push('          This looks like a VPN connection: check the region, or set it with --region.');
  if (region.country && region.source === 'timezone')
    lines.push(`          (${countryName(region.country)})`);
  lines.push('', 'Tiers');
  for (const tier of report.tiers) {
    const mark = tier.qualified ? 'yes' : 'no ';
    const why = tier.qualified ? 'qualified' : tier.reasons.join('; ');
    const advice = tier.advice.length > 0 ? ` (${tier.advice.join('; ')})` : '';
    lines.push(`  ${mark} ${tier.label}: ${why}${advice}`);
  }
  const joined = report.tiers.filter((tier) => tier.qualified).length;
  lines.push(
    '',
    joined === 0
      ? 'This machine qualifies for no tier yet: it can still use the network (chat, the local API).'
      : `This machine would join ${joined} cluster${joined === 1 ? '' : 's'} of its region.`,
  );
  return lines.join('\n');
}
