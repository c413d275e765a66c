// The ledger's parameters from the signed network config (DESIGN.md §5, §8). The config speaks in whole
// tokens and peer ids; the ledger in micro-tokens and raw Ed25519 keys, so this is the one place that converts.
import { peerIdFromString } from '@libp2p/peer-id';
import { ascii } from '../../../src-shared/ledger/bytes.ts';
import { domainHash } from '../../../src-shared/ledger/hash.ts';
import {
  DEFAULT_LEDGER_PARAMS,
  MICRO_PER_TOKEN,
  type LedgerParams,
  type TierPrice,
} from '../../../src-shared/ledger/ledger-params.ts';
import type { NetworkConfig } from '../../../src-shared/network-config/network-config.ts';
import { nativeSha256 } from './native-crypto.ts';

/** The 32-byte network id inside every ledger object: H("OG/v1/network\0" || the config's network id). */
export function ledgerNetworkId(networkId: string): Uint8Array {
  return domainHash(nativeSha256, ascii('OG/v1/network\0'), ascii(networkId));
}

/** An Ed25519 peer id string as the raw 32-byte account key; RangeError for anything else. */
export function accountOfPeerId(peerId: string): Uint8Array {
  const parsed = peerIdFromString(peerId);
  if (parsed.type !== 'Ed25519') throw new RangeError(`genesis account ${peerId} is not an Ed25519 peer id`);
  return parsed.publicKey.raw;
}

/**
 * Convert. A tier's price is in tokens per 1,000 work units (work units = prompt + completion tokens), so
 * µT per unit = price × 1,000; a price with more than three decimals cannot be represented and is refused.
 */
export function ledgerParamsFromConfig(config: NetworkConfig): LedgerParams {
  const prices: Record<string, TierPrice> = {};
  for (const tier of config.tiers) {
    const perUnit = tier.price * 1000;
    if (
      !Number.isSafeInteger(Math.round(perUnit)) ||
      Math.abs(perUnit - Math.round(perUnit)) > 1e-9 ||
      perUnit < 0
    )
      throw new RangeError(
        `tier ${tier.id}: price ${tier.price} is not a whole number of micro-tokens per work unit`,
      );
    prices[tier.id] = { pricePerUnit: BigInt(Math.round(perUnit)), promptWeight: 1n, completionWeight: 1n };
  }
  const minAvailable = BigInt(config.ledger.minBalanceToRequest) * MICRO_PER_TOKEN;
  const floor = BigInt(config.ledger.debtFloor) * MICRO_PER_TOKEN;
  return {
    ...DEFAULT_LEDGER_PARAMS,
    networkId: ledgerNetworkId(config.networkId),
    genesis: config.genesis.map((g) => ({
      account: accountOfPeerId(g.account),
      amount: BigInt(g.amount) * MICRO_PER_TOKEN,
    })),
    prices,
    minAvailable,
    floor,
    // The most an admitted request can lock: from the minimum available down to the floor.
    maxRequestCost: minAvailable - floor,
    ackEvery: config.ledger.ackEveryTokens,
    allowance: 2 * config.ledger.ackEveryTokens,
  };
}
