// `opengateway-node network init`: a new network (founding keys + signed config) for tests, devnets, or
// anyone who wants their own network.
import { initNetwork } from '../../node/network-config/init-network.ts';
import { readModelCatalog } from '../../node/network-config/read-model-catalog.ts';
import { UsageError, parseCommandArgs, type CliCommand } from '../cli-command.ts';

const USAGE = `Usage: opengateway-node network init [--out DIR] [--founders N] [--threshold M]
                                    [--bootstrap ADDR]... [--network-id ID] [--catalog FILE]

Creates a new network: N founding Ed25519 keys (DIR/founders/founder-<i>.pem, mode 0600; keep them
offline) and DIR/network-config.json signed by all of them, valid with any M signatures.

  --out DIR          where to write (default: ./opengateway-network); never overwrites a network
  --founders N       number of founding keys (default 3)
  --threshold M      signatures a config needs (default: a majority of N)
  --bootstrap ADDR   a bootstrap node, /ip4/…/tcp/…/p2p/<peer id>; prefix REGION= to limit it to one
                     region (default: every region). Repeat for more. A node's peer id is shown by
                     "opengateway-node profile --data-dir DIR".
  --network-id ID    the network's name (default: og-<random>)
  --catalog FILE     models per tier replacing the default catalog: JSON
                     {"format":1,"tiers":{"model-a":{"engineModels":{"exo":…,"builtin":{…}}}}}`;

export const networkCommand: CliCommand = {
  name: 'network',
  summary: 'create a new network: founding keys and a signed network config (network init)',
  usage: USAGE,
  async run(args, io) {
    const [sub, ...rest] = args;
    if (sub !== 'init') throw new UsageError(`unknown network subcommand "${sub ?? ''}" (try: network init)`);
    const { values } = parseCommandArgs(rest, {
      out: { type: 'string' },
      founders: { type: 'string' },
      threshold: { type: 'string' },
      bootstrap: { type: 'string', multiple: true },
      'network-id': { type: 'string' },
      catalog: { type: 'string' },
    });
    const catalog = values.catalog === undefined ? undefined : await readModelCatalog(values.catalog);
    const founders = values.founders === undefined ? undefined : positiveInt(values.founders, '--founders');
    const threshold =
      values.threshold === undefined ? undefined : positiveInt(values.threshold, '--threshold');
    const result = await initNetwork({
      outDir: values.out ?? 'opengateway-network',
      ...(founders !== undefined ? { founders } : {}),
      ...(threshold !== undefined ? { threshold } : {}),
      bootstrap: values.bootstrap ?? [],
      ...(values['network-id'] !== undefined ? { networkId: values['network-id'] } : {}),
      ...(catalog !== undefined ? { catalog } : {}),
    });
    const { config } = result;
    io.stdout(`Created network ${config.networkId}`);
    io.stdout(
      `  config     ${result.configPath} (${config.threshold} of ${config.founders.length} signatures needed)`,
    );
    for (const path of result.founderKeyPaths) io.stdout(`  founder    ${path}`);
    const regions = Object.keys(config.bootstrap);
    io.stdout(`  bootstrap  ${regions.length > 0 ? regions.join(', ') : 'none (nodes need --bootstrap)'}`);
    return 0;
  },
};

function positiveInt(text: string, flag: string): number {
  if (!/^\d{1,3}$/.test(text) || Number(text) < 1) throw new UsageError(`${flag} needs a whole number ≥ 1`);
  return Number(text);
}
