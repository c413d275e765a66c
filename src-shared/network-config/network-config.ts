// The network config (DESIGN.md §5): everything a node must agree on with its network, signed M-of-N by the
// network's founding keys. This file holds the schema and a strict parser; the document arrives from disk or
// from peers, so every field is checked and unknown fields are refused (they would escape the signature's
// meaning if a later version gave them one).
import { REGION_IDS, isRegionId, type RegionId } from '../regions/index.ts';
import { NetworkConfigInvalidError } from './errors.ts';
import type { TierSpec } from '../tiers/tier-spec.ts';
import { parseTierModels } from './model-catalog.ts';
import { array, int, object, string } from './strict-fields.ts';

export const NETWORK_CONFIG_FORMAT = 1;
/** A config file larger than this is refused before it is parsed. */
export const MAX_NETWORK_CONFIG_BYTES = 1024 * 1024;
const MAX_FOUNDERS = 32;
const MAX_BOOTSTRAP_PER_REGION = 64;
const MAX_TIERS = 16;
const MAX_GENESIS = 10_000;
const DNSADDR_NAME = /^\/dnsaddr\/[a-z0-9]([a-z0-9-]{0,62}\.)+[a-z]{2,63}$/;

/** One tier of the network: a TierSpec (requirements, the model each engine serves) with its price. */
export interface NetworkTier extends TierSpec {
  /** Tokens per 1,000 work units (prompt + completion tokens). */
  readonly price: number;
}

/** The ledger section of the signed config, in whole tokens (the ledger converts it to its LedgerParams). */
export interface LedgerSettings {
  /** A request may start only with at least this balance available (DESIGN.md §8: 1,000). */
  readonly minBalanceToRequest: number;
  /** How far below zero a running request may take a balance (a negative number or 0). */
  readonly debtFloor: number;
  /** The requester signs a cumulative acknowledgement every this many tokens. */
  readonly ackEveryTokens: number;
}

export interface GenesisAllocation {
  /** The account (peer id string) that holds the allocation from the start. */
  readonly account: string;
  readonly amount: number;
}

export interface NetworkConfig {
  readonly format: typeof NETWORK_CONFIG_FORMAT;
  /** Names the network; nodes of different networks never mix. */
  readonly networkId: string;
  /** Increases with every signed revision; a node adopts a config only with a higher revision. */
  readonly revision: number;
  /** When the founders signed it (ms since the epoch). */
  readonly issuedAt: number;
  /** Bootstrap multiaddrs (with /p2p/<peer id>) per region. */
  readonly bootstrap: Readonly<Partial<Record<RegionId, readonly string[]>>>;
  readonly tiers: readonly NetworkTier[];
  readonly ledger: LedgerSettings;
  readonly genesis: readonly GenesisAllocation[];
  /** Salt for machine fingerprints, so they cannot be compared across networks. */
  readonly fingerprintSalt: string;
  /** The founding Ed25519 public keys, raw 32 bytes as lower-case hex. */
  readonly founders: readonly string[];
  /** How many distinct founders must sign (M of N). */
  readonly threshold: number;
}

/** Check an untrusted value against the schema and return a fresh object holding exactly the known fields. */
export function parseNetworkConfig(value: unknown): NetworkConfig {
  const root = object(value, '', [
    'format',
    'networkId',
    'revision',
    'issuedAt',
    'bootstrap',
    'tiers',
    'ledger',
    'genesis',
    'fingerprintSalt',
    'founders',
    'threshold',
  ]);
  if (root.format !== NETWORK_CONFIG_FORMAT)
    throw new NetworkConfigInvalidError('format', 'unsupported format');
  const networkId = string(root.networkId, 'networkId', 1, 64);
  if (!/^[a-z0-9][a-z0-9-]*$/.test(networkId))
    throw new NetworkConfigInvalidError('networkId', 'use lower-case letters, digits and dashes');

  const bootstrapIn = object(root.bootstrap, 'bootstrap', REGION_IDS);
  const bootstrap: Partial<Record<RegionId, readonly string[]>> = {};
  for (const [region, list] of Object.entries(bootstrapIn)) {
    if (!isRegionId(region)) throw new NetworkConfigInvalidError(`bootstrap.${region}`, 'unknown region');
    bootstrap[region] = array(list, `bootstrap.${region}`, MAX_BOOTSTRAP_PER_REGION).map((addr, i) => {
      const text = string(addr, `bootstrap.${region}[${i}]`, 4, 512);
      // A bare `/dnsaddr/<name>` is allowed: its TXT records name the peers, so operators can change the
      // nodes behind a name without a new config revision.
      if (!text.startsWith('/') || !(text.includes('/p2p/') || DNSADDR_NAME.test(text)))
        throw new NetworkConfigInvalidError(
          `bootstrap.${region}[${i}]`,
          'not a multiaddr ending in /p2p/<peer id>, nor a /dnsaddr/<name>',
        );
      return text;
    });
  }

  const tiers = array(root.tiers, 'tiers', MAX_TIERS).map((tier, i) => parseTier(tier, `tiers[${i}]`));
  const ids = new Set(tiers.map((tier) => tier.id));
  if (ids.size !== tiers.length) throw new NetworkConfigInvalidError('tiers', 'duplicate tier id');

  const ledgerIn = object(root.ledger, 'ledger', ['minBalanceToRequest', 'debtFloor', 'ackEveryTokens']);
  const ledger: LedgerSettings = {
    minBalanceToRequest: int(ledgerIn.minBalanceToRequest, 'ledger.minBalanceToRequest', 0),
    debtFloor: int(ledgerIn.debtFloor, 'ledger.debtFloor', Number.MIN_SAFE_INTEGER, 0),
    ackEveryTokens: int(ledgerIn.ackEveryTokens, 'ledger.ackEveryTokens', 1),
  };

  const genesis = array(root.genesis, 'genesis', MAX_GENESIS).map((entry, i) => {
    const e = object(entry, `genesis[${i}]`, ['account', 'amount']);
    return {
      account: string(e.account, `genesis[${i}].account`, 1, 128),
      amount: int(e.amount, `genesis[${i}].amount`, 1),
    };
  });
  if (new Set(genesis.map((g) => g.account)).size !== genesis.length)
    throw new NetworkConfigInvalidError('genesis', 'an account appears twice');

  const founders = array(root.founders, 'founders', MAX_FOUNDERS).map((key, i) => {
    const hex = string(key, `founders[${i}]`, 64, 64);
    if (!/^[0-9a-f]{64}$/.test(hex))
      throw new NetworkConfigInvalidError(`founders[${i}]`, 'not a 32-byte lower-case hex Ed25519 key');
    return hex;
  });
  if (founders.length === 0)
    throw new NetworkConfigInvalidError('founders', 'at least one founding key is needed');
  if (new Set(founders).size !== founders.length)
    throw new NetworkConfigInvalidError('founders', 'a founding key appears twice');
  const threshold = int(root.threshold, 'threshold', 1, founders.length);

  return {
    format: NETWORK_CONFIG_FORMAT,
    networkId,
    revision: int(root.revision, 'revision', 1),
    issuedAt: int(root.issuedAt, 'issuedAt', 0),
    bootstrap,
    tiers,
    ledger,
    genesis,
    fingerprintSalt: string(root.fingerprintSalt, 'fingerprintSalt', 16, 128),
    founders,
    threshold,
  };
}

function parseTier(value: unknown, path: string): NetworkTier {
  const t = object(value, path, [
    'id',
    'label',
    'exampleModels',
    'minCpuCores',
    'minRamGb',
    'minGpuMemoryGb',
    'recommendedGpuMemoryGb',
    'minFreeDiskGb',
    'engineModels',
    'price',
  ]);
  const id = string(t.id, `${path}.id`, 1, 32);
  if (!/^[a-z0-9][a-z0-9-]{0,31}$/.test(id))
    throw new NetworkConfigInvalidError(`${path}.id`, 'use lower-case letters, digits and dashes');
  return {
    id,
    label: string(t.label, `${path}.label`, 1, 64),
    exampleModels: array(t.exampleModels, `${path}.exampleModels`, 16).map((m, i) =>
      string(m, `${path}.exampleModels[${i}]`, 1, 128),
    ),
    minCpuCores: int(t.minCpuCores, `${path}.minCpuCores`, 0, 4096),
    minRamGb: int(t.minRamGb, `${path}.minRamGb`, 0, 1 << 20),
    minGpuMemoryGb:
      t.minGpuMemoryGb === null ? null : int(t.minGpuMemoryGb, `${path}.minGpuMemoryGb`, 0, 1 << 20),
    recommendedGpuMemoryGb:
      t.recommendedGpuMemoryGb === null
        ? null
        : int(t.recommendedGpuMemoryGb, `${path}.recommendedGpuMemoryGb`, 0, 1 << 20),
    minFreeDiskGb: int(t.minFreeDiskGb, `${path}.minFreeDiskGb`, 0, 1 << 30),
    engineModels: parseTierModels(t.engineModels, `${path}.engineModels`),
    price: int(t.price, `${path}.price`, 1),
  };
}

/** Bootstrap addresses for a region; an empty list when the config names none. */
export function bootstrapFor(config: NetworkConfig, region: RegionId): readonly string[] {
  return config.bootstrap[region] ?? [];
}

/** Every bootstrap address of the network, deduplicated: a node connects to these before it knows its region. */
export function allBootstrapAddresses(config: NetworkConfig): string[] {
  return [...new Set(Object.values(config.bootstrap).flat())];
}
