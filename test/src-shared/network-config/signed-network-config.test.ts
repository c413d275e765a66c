import { ed25519 } from '@noble/curves/ed25519.js';
import { describe, expect, it } from 'vitest';
import {
  NetworkConfigInvalidError,
  NetworkConfigSignatureError,
  bytesToHex,
  networkConfigSigningBytes,
  parseSignedNetworkConfig,
  verifySignedNetworkConfig,
  type Ed25519Verify,
  type NetworkConfig,
  type SignedNetworkConfig,
} from '../../../src-shared/network-config/index.ts';

const nobleVerify: Ed25519Verify = (publicKey, message, signature) =>
  ed25519.verify(signature, message, publicKey);

const secrets = [1, 2, 3].map((n) => new Uint8Array(32).fill(n));
const publicKeys = secrets.map((secret) => bytesToHex(ed25519.getPublicKey(secret)));

const config: NetworkConfig = {
  format: 1,
  networkId: 'og-test',
  revision: 1,
  issuedAt: 1_764_000_000_000,
  bootstrap: { asia: ['/ip4/127.0.0.1/tcp/4001/p2p/12D3KooWRm8J3iL796zPFi2EtGGtUJn58AG67gcqzMFHZnnsTzqD'] },
  tiers: [
    {
      id: 'model-a',
      label: 'Model A',
      exampleModels: ['Llama 3.1 8B'],
      minCpuCores: 4,
      minRamGb: 8,
      minGpuMemoryGb: null,
      recommendedGpuMemoryGb: null,
      minFreeDiskGb: 20,
      engineModels: { exo: 'llama-3.1-8b' },
      price: 1,
    },
  ],
  ledger: { minBalanceToRequest: 1000, debtFloor: -1000, ackEveryTokens: 32 },
  genesis: [{ account: '12D3KooWRm8J3iL796zPFi2EtGGtUJn58AG67gcqzMFHZnnsTzqD', amount: 1_000_000 }],
  fingerprintSalt: '0123456789abcdef0123',
  founders: publicKeys,
  threshold: 2,
};

function signBy(indices: readonly number[], doc: NetworkConfig = config): SignedNetworkConfig {
  const message = networkConfigSigningBytes(doc);
  return {
    config: doc,
    signatures: indices.map((i) => ({
      key: publicKeys[i]!,
      signature: bytesToHex(ed25519.sign(message, secrets[i]!)),
    })),
  };
}

/** The file round trip: what a node reads is JSON. */
function viaJson(signed: SignedNetworkConfig): SignedNetworkConfig {
  return parseSignedNetworkConfig(JSON.parse(JSON.stringify(signed)));
}

describe('signed network config', () => {
  it('accepts M of N valid founder signatures', () => {
    expect(verifySignedNetworkConfig(viaJson(signBy([0, 2])), nobleVerify)).toEqual(config);
  });

  it('signing bytes do not depend on key order in the JSON', () => {
    const reordered = reverseKeys(config) as NetworkConfig;
    expect(networkConfigSigningBytes(reordered)).toEqual(networkConfigSigningBytes(config));
  });

  it('refuses fewer than M signatures, naming the counts', () => {
    expect(() => verifySignedNetworkConfig(viaJson(signBy([1])), nobleVerify)).toThrow(
      /1 valid founder signature, 2 required/,
    );
  });

  it('counts one founder signing twice once', () => {
    const signed = signBy([0, 0]);
    expect(() => verifySignedNetworkConfig(viaJson(signed), nobleVerify)).toThrow(
      NetworkConfigSignatureError,
    );
  });

  it('refuses an altered config (every signature breaks)', () => {
    const signed = signBy([0, 1, 2]);
    const altered = { ...signed, config: { ...config, genesis: [{ account: 'thief', amount: 10 ** 12 }] } };
    expect(() => verifySignedNetworkConfig(viaJson(altered), nobleVerify)).toThrow(
      /0 valid founder signatures/,
    );
  });

  it('ignores signatures by keys that are not founders', () => {
    const outsider = new Uint8Array(32).fill(9);
    const message = networkConfigSigningBytes(config);
    const signed: SignedNetworkConfig = {
      config,
      signatures: [
        signBy([0]).signatures[0]!,
        {
          key: bytesToHex(ed25519.getPublicKey(outsider)),
          signature: bytesToHex(ed25519.sign(message, outsider)),
        },
      ],
    };
    expect(() => verifySignedNetworkConfig(viaJson(signed), nobleVerify)).toThrow(
      NetworkConfigSignatureError,
    );
  });

  it('treats a throwing verifier as a failed signature', () => {
    const throwing: Ed25519Verify = () => {
      throw new Error('boom');
    };
    expect(() => verifySignedNetworkConfig(signBy([0, 1]), throwing)).toThrow(NetworkConfigSignatureError);
  });

  it.each([
    ['an unknown top-level field', { ...config, extra: 1 }, /unknown field "extra"/],
    ['an unknown region', { ...config, bootstrap: { atlantis: [] } }, /bootstrap/],
    ['a bootstrap address without /p2p/', { ...config, bootstrap: { asia: ['/ip4/1.2.3.4/tcp/1'] } }, /p2p/],
    [
      'a /dnsaddr/ with a path after the name',
      { ...config, bootstrap: { asia: ['/dnsaddr/bootstrap.example/tcp/1'] } },
      /dnsaddr/,
    ],
    ['a /dnsaddr/ that is not a DNS name', { ...config, bootstrap: { asia: ['/dnsaddr/-x'] } }, /dnsaddr/],
    ['a threshold above N', { ...config, threshold: 4 }, /threshold/],
    [
      'a duplicate founder',
      { ...config, founders: [publicKeys[0], publicKeys[0]] },
      /founding key appears twice/,
    ],
    ['a fractional price', { ...config, tiers: [{ ...config.tiers[0], price: 0.5 }] }, /price/],
    ['a positive debt floor', { ...config, ledger: { ...config.ledger, debtFloor: 5 } }, /debtFloor/],
    ['a short salt', { ...config, fingerprintSalt: 'x' }, /fingerprintSalt/],
  ])('refuses a config with %s', (_name, bad, message) => {
    expect(() => parseSignedNetworkConfig({ config: bad, signatures: [] })).toThrow(
      NetworkConfigInvalidError,
    );
    expect(() => parseSignedNetworkConfig({ config: bad, signatures: [] })).toThrow(message);
  });

  it('accepts a bare /dnsaddr/ name as a bootstrap entry (its TXT records name the peers)', () => {
    const named = { ...config, bootstrap: { asia: ['/dnsaddr/asia.bootstrap.example.org'] } };
    expect(parseSignedNetworkConfig({ config: named, signatures: [] }).config.bootstrap.asia).toEqual([
      '/dnsaddr/asia.bootstrap.example.org',
    ]);
  });

  it('refuses malformed signature entries', () => {
    expect(() => parseSignedNetworkConfig({ config, signatures: [{ key: 'zz', signature: 'zz' }] })).toThrow(
      /signatures\[0\]\.key/,
    );
    expect(() => parseSignedNetworkConfig({ config, signatures: 'none' })).toThrow(/signatures/);
    expect(() => parseSignedNetworkConfig([])).toThrow(NetworkConfigInvalidError);
  });
});

/** The same value with every object's keys in reverse order. */
function reverseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(reverseKeys);
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .reverse()
      .map(([key, inner]) => [key, reverseKeys(inner)]),
  );
}
