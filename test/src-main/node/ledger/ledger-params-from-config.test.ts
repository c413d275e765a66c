import { generateKeyPair } from '@libp2p/crypto/keys';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { describe, expect, it } from 'vitest';
import { fingerprintHashes } from '../../../../src-main/node/ledger/ledger-identity.ts';
import { bytesEqual } from '../../../../src-shared/ledger/bytes.ts';
import { requestCost } from '../../../../src-shared/ledger/economy.ts';
import { MICRO_PER_TOKEN } from '../../../../src-shared/ledger/ledger-params.ts';
import type { NetworkConfig } from '../../../../src-shared/network-config/network-config.ts';
import {
  ledgerNetworkId,
  ledgerParamsFromConfig,
} from '../../../../src-main/node/ledger/ledger-params-from-config.ts';

describe('ledgerParamsFromConfig', () => {
  it('converts tokens to micro-tokens, peer ids to account keys, and prices per 1,000 work units', async () => {
    const key = await generateKeyPair('Ed25519');
    const config = {
      format: 1,
      networkId: 'devnet-1',
      revision: 1,
      issuedAt: 0,
      bootstrap: {},
      tiers: [
        {
          id: 'model-a',
          label: 'A',
          exampleModels: [],
          minCpuCores: 4,
          minRamGb: 8,
          minGpuMemoryGb: null,
          recommendedGpuMemoryGb: null,
          minFreeDiskGb: 20,
          engineModels: { exo: 'llama' },
          price: 2,
        },
      ],
      ledger: { minBalanceToRequest: 1000, debtFloor: -500, ackEveryTokens: 32 },
      genesis: [{ account: peerIdFromPrivateKey(key).toString(), amount: 5000 }],
      fingerprintSalt: 'salt',
      founders: [],
      threshold: 1,
    } satisfies NetworkConfig;
    const params = ledgerParamsFromConfig(config);
    expect(bytesEqual(params.genesis[0]!.account, key.publicKey.raw)).toBe(true);
    expect(params.genesis[0]!.amount).toBe(5_000n * MICRO_PER_TOKEN);
    expect(params.minAvailable).toBe(1_000n * MICRO_PER_TOKEN);
    expect(params.floor).toBe(-500n * MICRO_PER_TOKEN);
    expect(params.maxRequestCost).toBe(1_500n * MICRO_PER_TOKEN);
    // 2 tokens per 1,000 work units: 1,000 prompt + 1,000 completion tokens cost 4 tokens.
    expect(requestCost(params.prices['model-a']!, 1000, 1000)).toBe(4n * MICRO_PER_TOKEN);
    expect(bytesEqual(params.networkId, ledgerNetworkId('devnet-1'))).toBe(true);
    expect(bytesEqual(params.networkId, ledgerNetworkId('devnet-2'))).toBe(false);
  });
});

describe('fingerprintHashes', () => {
  it('turns identity’s hex hashes into the 32-byte hashes an OPEN carries, dropping malformed ones', () => {
    const hashes = fingerprintHashes({
      hashes: [
        { kind: 'system-uuid', hash: 'ab'.repeat(32) },
        { kind: 'disk-serial', hash: 'not-hex' },
      ],
    });
    expect(hashes).toHaveLength(1);
    expect(hashes[0]![0]).toBe(0xab);
  });
});
