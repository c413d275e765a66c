// `opengateway-node network init`: founding keys and a signed config for a new network (tests, devnets,
// anyone who wants their own network).
import { randomBytes } from 'node:crypto';
import { mkdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { multiaddr } from '@multiformats/multiaddr';
import {
  NETWORK_CONFIG_FORMAT,
  NetworkConfigInvalidError,
  bytesToHex,
  parseNetworkConfig,
  type GenesisAllocation,
  type ModelCatalog,
  type NetworkConfig,
  type NetworkTier,
} from '../../../src-shared/network-config/index.ts';
import { REGION_IDS, parseRegionId, type RegionId } from '../../../src-shared/regions/index.ts';
import { writeFileAtomic } from '../storage/atomic-write.ts';
import { defaultNetworkTiers } from './default-network-tiers.ts';
import { founderKeyToPem, generateFounderKey, rawPublicKey } from './ed25519.ts';
import { NetworkInitTargetExistsError } from './errors.ts';
import { serializeSignedNetworkConfig, signNetworkConfig } from './sign-network-config.ts';

export interface InitNetworkOptions {
  readonly outDir: string;
  /** How many founding keys to create (N). */
  readonly founders?: number;
  /** How many must sign (M); defaults to a majority of N. */
  readonly threshold?: number;
  /** `ADDR` (every region) or `region=ADDR`; each must end in /p2p/<peer id>. */
  readonly bootstrap?: readonly string[];
  readonly networkId?: string;
  readonly genesis?: readonly GenesisAllocation[];
  /** Prices (tokens per 1,000 work units) that replace the default ones, by tier id. */
  readonly prices?: Readonly<Record<string, number>>;
  /** Models that replace the default catalog's, by tier id (devnets and tests serve their own). */
  readonly catalog?: ModelCatalog;
  /** Clock for issuedAt (tests). */
  readonly now?: () => number;
}

export interface InitNetworkResult {
  readonly config: NetworkConfig;
  readonly configPath: string;
  readonly founderKeyPaths: readonly string[];
}

export const NETWORK_CONFIG_FILE_NAME = 'network-config.json';

export async function initNetwork(options: InitNetworkOptions): Promise<InitNetworkResult> {
  const outDir = resolve(options.outDir);
  const founders = options.founders ?? 3;
  const threshold = options.threshold ?? Math.floor(founders / 2) + 1;
  if (!Number.isSafeInteger(founders) || founders < 1 || founders > 32)
    throw new NetworkConfigInvalidError('founders', 'must be between 1 and 32');
  if (!Number.isSafeInteger(threshold) || threshold < 1 || threshold > founders)
    throw new NetworkConfigInvalidError(
      'threshold',
      `must be between 1 and the number of founders (${founders})`,
    );

  const configPath = join(outDir, NETWORK_CONFIG_FILE_NAME);
  const foundersDir = join(outDir, 'founders');
  for (const path of [configPath, foundersDir]) {
    if (await exists(path)) throw new NetworkInitTargetExistsError(path);
  }

  const keys = Array.from({ length: founders }, () => generateFounderKey());
  const draft = {
    format: NETWORK_CONFIG_FORMAT,
    networkId: options.networkId ?? `og-${randomBytes(4).toString('hex')}`,
    revision: 1,
    issuedAt: (options.now ?? Date.now)(),
    bootstrap: parseBootstrapArgs(options.bootstrap ?? []),
    tiers: withCatalog(
      defaultNetworkTiers().map((tier) =>
        options.prices && Object.hasOwn(options.prices, tier.id)
          ? { ...tier, price: options.prices[tier.id]! }
          : tier,
      ),
      options.catalog,
    ),
    ledger: { minBalanceToRequest: 1000, debtFloor: -1000, ackEveryTokens: 32 },
    genesis: [...(options.genesis ?? [])],
    fingerprintSalt: randomBytes(16).toString('hex'),
    founders: keys.map((key) => bytesToHex(rawPublicKey(key.publicKey))),
    threshold,
  };
  // Validate through the same parser every node uses, so init can never write a config nodes refuse.
  const config = parseNetworkConfig(draft);
  const signed = signNetworkConfig(
    config,
    keys.map((key) => key.privateKey),
  );

  await mkdir(foundersDir, { recursive: true, mode: 0o700 });
  const founderKeyPaths: string[] = [];
  for (const [index, key] of keys.entries()) {
    const path = join(foundersDir, `founder-${index + 1}.pem`);
    await writeFileAtomic(path, founderKeyToPem(key.privateKey), 0o600);
    founderKeyPaths.push(path);
  }
  // The config is public (it ships with the app); the keys are not.
  await writeFileAtomic(configPath, serializeSignedNetworkConfig(signed), 0o644);
  return { config, configPath, founderKeyPaths };
}

/** The tiers with the catalog's models (and labels) in place of the defaults; unknown tier ids are refused. */
export function withCatalog(tiers: NetworkTier[], catalog: ModelCatalog | undefined): NetworkTier[] {
  if (catalog === undefined) return tiers;
  for (const id of Object.keys(catalog.tiers)) {
    if (!tiers.some((tier) => tier.id === id))
      throw new NetworkConfigInvalidError(`catalog.tiers.${id}`, 'no such tier in the network');
  }
  return tiers.map((tier) => {
    const entry = catalog.tiers[tier.id];
    if (entry === undefined) return tier;
    return {
      ...tier,
      engineModels: entry.engineModels,
      ...(entry.exampleModels ? { exampleModels: [...entry.exampleModels] } : {}),
    };
  });
}

/** `ADDR` puts one address in every region (a single devnet bootstrap node); `region=ADDR` in one. */
export function parseBootstrapArgs(args: readonly string[]): Partial<Record<RegionId, string[]>> {
  const out: Partial<Record<RegionId, string[]>> = {};
  for (const arg of args) {
    const eq = arg.indexOf('=');
    const regionText = eq > 0 && !arg.startsWith('/') ? arg.slice(0, eq) : null;
    const address = regionText === null ? arg : arg.slice(eq + 1);
    let regions: readonly RegionId[] = REGION_IDS;
    if (regionText !== null) {
      const region = parseRegionId(regionText);
      if (region === null) throw new NetworkConfigInvalidError('bootstrap', `unknown region "${regionText}"`);
      regions = [region];
    }
    let peer: string | undefined;
    try {
      peer = multiaddr(address)
        .getComponents()
        .find((c) => c.name === 'p2p')?.value;
    } catch {
      throw new NetworkConfigInvalidError('bootstrap', `"${address}" is not a multiaddr`);
    }
    if (peer === undefined)
      throw new NetworkConfigInvalidError('bootstrap', `"${address}" must end in /p2p/<peer id>`);
    for (const region of regions) {
      const list = (out[region] ??= []);
      if (!list.includes(address)) list.push(address);
    }
  }
  return out;
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
