// `npm run network:sign-default -- --keys DIR [--init]`: writes the default network's signed config
// (src-main/node/network-config/default-network/opengateway-main.json) from the tier table in the code and the
// network's fixed facts (id, founders, threshold, salt, bootstrap names, ledger, genesis) in the current file.
// Run it whenever the config format or the tier table changes; every run bumps the revision, because nodes
// adopt a config only with a higher revision (docs/default-network.md says who holds the keys).
//
//   --keys DIR   the founders' PKCS#8 PEM files (founder-*.pem); DIR must be outside this repository
//   --init       create the network: new founder keys in DIR (which must not exist), revision 1
//   --founders N --threshold M   with --init (default 3 and 2)
import { spawnSync } from 'node:child_process';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { randomBytes, createPublicKey } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { parseArgs } from 'node:util';
import {
  NETWORK_CONFIG_FORMAT,
  bytesToHex,
  parseNetworkConfig,
  parseSignedNetworkConfig,
  verifySignedNetworkConfig,
  type NetworkConfig,
} from '../src-shared/network-config/index.ts';
import { REGION_IDS } from '../src-shared/regions/index.ts';
import { defaultNetworkTiers } from '../src-main/node/network-config/default-network-tiers.ts';
import {
  founderKeyFromPem,
  founderKeyToPem,
  generateFounderKey,
  nodeEd25519Verify,
  rawPublicKey,
} from '../src-main/node/network-config/ed25519.ts';
import {
  serializeSignedNetworkConfig,
  signNetworkConfig,
} from '../src-main/node/network-config/sign-network-config.ts';
import { writeFileAtomic } from '../src-main/node/storage/atomic-write.ts';

const ROOT = resolve(import.meta.dirname, '..');
// The file default-network.ts imports (not imported here: --init runs before it exists).
const OUT = join(ROOT, 'src-main', 'node', 'network-config', 'default-network', 'opengateway-main.json');
/** The names operators serve `_dnsaddr` TXT records under (docs/default-network.md). */
const BOOTSTRAP_DOMAIN = 'bootstrap.opengateway.network';

const { values } = parseArgs({
  options: {
    keys: { type: 'string' },
    init: { type: 'boolean', default: false },
    founders: { type: 'string', default: '3' },
    threshold: { type: 'string', default: '2' },
  },
});

function fail(message: string): never {
  process.stderr.write(`sign-default-network: ${message}\n`);
  process.exit(2);
}

const keysDir = values.keys === undefined ? fail('--keys DIR is required') : resolve(values.keys);
if (isInside(ROOT, keysDir))
  fail(`${keysDir} is inside the repository: founder keys must never be committed`);

const keys = values.init ? await createKeys(keysDir) : await readKeys(keysDir);
const previous = values.init ? null : await readPrevious();
const founders = keys.map((key) => bytesToHex(rawPublicKey(createPublicKey(key))));

const draft = {
  format: NETWORK_CONFIG_FORMAT,
  networkId: previous?.networkId ?? 'opengateway-main',
  revision: (previous?.revision ?? 0) + 1,
  issuedAt: Date.now(),
  bootstrap:
    previous?.bootstrap ??
    Object.fromEntries(REGION_IDS.map((region) => [region, [`/dnsaddr/${region}.${BOOTSTRAP_DOMAIN}`]])),
  tiers: defaultNetworkTiers(),
  ledger: previous?.ledger ?? { minBalanceToRequest: 1000, debtFloor: -1000, ackEveryTokens: 32 },
  genesis: previous?.genesis ?? [],
  fingerprintSalt: previous?.fingerprintSalt ?? randomBytes(16).toString('hex'),
  founders: previous?.founders ?? founders,
  threshold: previous?.threshold ?? Number(values.threshold),
};
let config: NetworkConfig;
try {
  config = parseNetworkConfig(draft);
} catch (error) {
  fail(
    `the draft does not parse (${(error as Error).message}): if the config format gained a field, ` +
      'add it to the draft in scripts/sign-default-network.ts',
  );
}
const signing = keys.filter((key) =>
  config.founders.includes(bytesToHex(rawPublicKey(createPublicKey(key)))),
);
if (signing.length < config.threshold)
  fail(`${signing.length} of the keys in ${keysDir} are founders; the network needs ${config.threshold}`);
const signed = signNetworkConfig(config, signing);
// Check what we write the way every node will read it.
verifySignedNetworkConfig(parseSignedNetworkConfig(JSON.parse(JSON.stringify(signed))), nodeEd25519Verify);
await mkdir(dirname(OUT), { recursive: true });
await writeFileAtomic(OUT, serializeSignedNetworkConfig(signed), 0o644);
process.stdout.write(
  `wrote ${relative(ROOT, OUT)}: ${config.networkId} revision ${config.revision}, ` +
    `${signing.length} of ${config.founders.length} founders signed (${config.threshold} needed)\n`,
);
// Keep the printed form stable for review (prettier owns the repository's JSON).
spawnSync(process.execPath, [join(ROOT, 'node_modules', 'prettier', 'bin', 'prettier.cjs'), '--write', OUT], {
  stdio: 'ignore',
});

async function readPrevious(): Promise<NetworkConfig | null> {
  if (!existsSync(OUT)) fail(`${OUT} does not exist: create the network with --init`);
  const json = JSON.parse(await readFile(OUT, 'utf8')) as { config?: Record<string, unknown> };
  const config = json.config ?? fail(`${OUT} holds no config`);
  // Only the network's fixed facts are kept; the format may have changed, so nothing else is parsed.
  return config as unknown as NetworkConfig;
}

async function readKeys(dir: string) {
  const names = (await readdir(dir)).filter((name) => /^founder-\d+\.pem$/.test(name)).sort();
  if (names.length === 0) fail(`no founder-*.pem in ${dir}`);
  return Promise.all(names.map(async (name) => founderKeyFromPem(await readFile(join(dir, name), 'utf8'))));
}

async function createKeys(dir: string) {
  if (existsSync(dir)) fail(`${dir} exists: --init never overwrites founder keys`);
  const count = Number(values.founders);
  if (!Number.isInteger(count) || count < 1 || count > 32) fail('--founders needs 1–32');
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const pairs = Array.from({ length: count }, () => generateFounderKey());
  for (const [index, pair] of pairs.entries())
    await writeFileAtomic(join(dir, `founder-${index + 1}.pem`), founderKeyToPem(pair.privateKey), 0o600);
  return pairs.map((pair) => pair.privateKey);
}

function isInside(root: string, path: string): boolean {
  const real = (p: string) => {
    let current = p;
    while (!existsSync(current)) current = dirname(current);
    return join(realpathSync(current), relative(current, p));
  };
  const rel = relative(real(root), real(path));
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
