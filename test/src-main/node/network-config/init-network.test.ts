import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ed25519 } from '@noble/curves/ed25519.js';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { nodeEd25519Verify } from '../../../../src-main/node/network-config/ed25519.ts';
import { initNetwork, parseBootstrapArgs } from '../../../../src-main/node/network-config/init-network.ts';
import { loadNetworkConfigFile } from '../../../../src-main/node/network-config/load-network-config.ts';
import {
  NetworkConfigInvalidError,
  NetworkConfigSignatureError,
  MAX_NETWORK_CONFIG_BYTES,
} from '../../../../src-shared/network-config/index.ts';

const PEER = '12D3KooWRm8J3iL796zPFi2EtGGtUJn58AG67gcqzMFHZnnsTzqD';
let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-netinit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('network init', () => {
  it('creates founding keys (0600) and a config every node accepts', async () => {
    const result = await initNetwork({
      outDir: dir,
      founders: 3,
      threshold: 2,
      bootstrap: [`/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`],
      networkId: 'og-devnet',
    });
    expect(result.founderKeyPaths).toHaveLength(3);
    for (const path of result.founderKeyPaths) {
      expect((await stat(path)).mode & 0o777).toBe(0o600);
      expect(await readFile(path, 'utf8')).toMatch(/BEGIN PRIVATE KEY/);
    }
    const loaded = await loadNetworkConfigFile(result.configPath);
    expect(loaded.config.networkId).toBe('og-devnet');
    expect(loaded.config.threshold).toBe(2);
    expect(loaded.config.founders).toHaveLength(3);
    expect(loaded.config.tiers.map((tier) => tier.id)).toEqual(['model-a', 'model-b', 'model-c', 'model-d']);
    // One bootstrap address without a region serves every region.
    expect(loaded.config.bootstrap.europe).toEqual([`/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`]);
    expect(loaded.config.bootstrap.oceania).toEqual([`/ip4/127.0.0.1/tcp/4001/p2p/${PEER}`]);
  });

  it('takes a model catalog (a devnet serves its own model) and refuses one naming unknown tiers', async () => {
    const builtin = {
      format: 'gguf',
      id: 'tiny-test',
      quantization: 'F32',
      contextLength: 256,
      memoryBytes: 4096,
      files: [
        {
          name: 'tiny.gguf',
          urls: ['http://127.0.0.1:9/tiny.gguf'],
          sizeBytes: 1024,
          sha256: 'cd'.repeat(32),
        },
      ],
    } as const;
    const result = await initNetwork({
      outDir: dir,
      founders: 1,
      catalog: { tiers: { 'model-a': { engineModels: { exo: 'tiny', builtin }, exampleModels: ['Tiny'] } } },
    });
    const loaded = await loadNetworkConfigFile(result.configPath);
    expect(loaded.config.tiers[0]).toMatchObject({ exampleModels: ['Tiny'], engineModels: { builtin } });
    expect(loaded.config.tiers[1]?.engineModels.builtin?.quantization).toBe('Q8_0');
    await expect(
      initNetwork({
        outDir: join(dir, 'other'),
        founders: 1,
        catalog: { tiers: { 'model-z': { engineModels: { exo: 'x' } } } },
      }),
    ).rejects.toBeInstanceOf(NetworkConfigInvalidError);
  });

  it('refuses to overwrite an existing network', async () => {
    await initNetwork({ outDir: dir, founders: 1, threshold: 1 });
    await expect(initNetwork({ outDir: dir, founders: 1, threshold: 1 })).rejects.toThrow(/already exists/);
  });

  it('refuses a threshold above the number of founders', async () => {
    await expect(initNetwork({ outDir: dir, founders: 2, threshold: 3 })).rejects.toThrow(
      NetworkConfigInvalidError,
    );
  });

  it('parses region-scoped bootstrap addresses and refuses bad ones', () => {
    expect(parseBootstrapArgs([`asia=/ip4/127.0.0.1/tcp/1/p2p/${PEER}`])).toEqual({
      asia: [`/ip4/127.0.0.1/tcp/1/p2p/${PEER}`],
    });
    expect(() => parseBootstrapArgs([`atlantis=/ip4/127.0.0.1/tcp/1/p2p/${PEER}`])).toThrow(/unknown region/);
    expect(() => parseBootstrapArgs(['/ip4/127.0.0.1/tcp/1'])).toThrow(/p2p/);
    expect(() => parseBootstrapArgs(['not-an-address'])).toThrow(/multiaddr/);
  });
});

describe('loading a network config file', () => {
  it('refuses a tampered config with a one-line signature error', async () => {
    const { configPath } = await initNetwork({ outDir: dir, founders: 3, threshold: 2 });
    const doc = JSON.parse(await readFile(configPath, 'utf8')) as { config: { genesis: unknown[] } };
    doc.config.genesis.push({ account: PEER, amount: 1_000_000_000 });
    await writeFile(configPath, JSON.stringify(doc));
    const error = await loadNetworkConfigFile(configPath).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkConfigSignatureError);
    expect((error as Error).message).not.toContain('\n');
  });

  it('accepts the config with only M of N signatures left', async () => {
    const { configPath } = await initNetwork({ outDir: dir, founders: 3, threshold: 2 });
    const doc = JSON.parse(await readFile(configPath, 'utf8')) as { signatures: unknown[] };
    doc.signatures.splice(0, 1);
    await writeFile(configPath, JSON.stringify(doc));
    await expect(loadNetworkConfigFile(configPath)).resolves.toBeDefined();
    doc.signatures.splice(0, 1);
    await writeFile(configPath, JSON.stringify(doc));
    await expect(loadNetworkConfigFile(configPath)).rejects.toThrow(/1 valid founder signature, 2 required/);
  });

  it('refuses missing, oversized and non-JSON files clearly', async () => {
    await expect(loadNetworkConfigFile(join(dir, 'nope.json'))).rejects.toThrow(/no such file/);
    const big = join(dir, 'big.json');
    await writeFile(big, Buffer.alloc(MAX_NETWORK_CONFIG_BYTES + 1, 0x20));
    await expect(loadNetworkConfigFile(big)).rejects.toThrow(/larger than/);
    const junk = join(dir, 'junk.json');
    await writeFile(junk, '{"config":');
    await expect(loadNetworkConfigFile(junk)).rejects.toThrow(/not JSON/);
    await expect(loadNetworkConfigFile(dir)).rejects.toThrow(/not a file/);
  });
});

describe('native Ed25519 verifier', () => {
  it('agrees with @noble/curves on valid and corrupted signatures (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 256 }),
        fc.nat(63),
        fc.boolean(),
        (secret, message, flipAt, corrupt) => {
          const publicKey = ed25519.getPublicKey(secret);
          const signature = ed25519.sign(message, secret);
          if (corrupt) signature[flipAt] = signature[flipAt]! ^ 0x01;
          expect(nodeEd25519Verify(publicKey, message, signature)).toBe(
            ed25519.verify(signature, message, publicKey),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('returns false for malformed keys and signatures instead of throwing', () => {
    expect(nodeEd25519Verify(new Uint8Array(31), new Uint8Array(1), new Uint8Array(64))).toBe(false);
    expect(nodeEd25519Verify(new Uint8Array(32), new Uint8Array(1), new Uint8Array(63))).toBe(false);
  });
});
