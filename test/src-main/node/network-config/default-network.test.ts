// The default network's signed config that ships with the app, and how a node chooses its config.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import shipped from '../../../../src-main/node/network-config/default-network/opengateway-main.json' with { type: 'json' };
import { loadDefaultNetworkConfig } from '../../../../src-main/node/network-config/default-network.ts';
import { defaultNetworkTiers } from '../../../../src-main/node/network-config/default-network-tiers.ts';
import { initNetwork } from '../../../../src-main/node/network-config/init-network.ts';
import { loadNetworkConfigFile } from '../../../../src-main/node/network-config/load-network-config.ts';
import { loadNodeNetworkConfig } from '../../../../src-main/node/network-config/load-node-network-config.ts';
import { NetworkConfigSignatureError } from '../../../../src-shared/network-config/index.ts';
import { REGION_IDS } from '../../../../src-shared/regions/index.ts';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'og-default-net-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('the shipped default network config', () => {
  it('is signed by enough founders, names every region by /dnsaddr/, and carries the tier table of the code', () => {
    const { config, signed } = loadDefaultNetworkConfig();
    expect(config.networkId).toBe('opengateway-main');
    expect(signed.signatures.length).toBeGreaterThanOrEqual(config.threshold);
    for (const region of REGION_IDS) {
      expect(config.bootstrap[region]?.length).toBeGreaterThan(0);
      for (const address of config.bootstrap[region] ?? []) expect(address).toMatch(/^\/dnsaddr\//);
    }
    // When the tiers (or the catalog in them) change in code, this fails: run `npm run network:sign-default`.
    expect(config.tiers).toEqual(defaultNetworkTiers());
  });

  it('refuses a tampered copy (a changed price) as unsigned', async () => {
    const tampered = structuredClone(shipped) as { config: { tiers: { price: number }[] } };
    tampered.config.tiers[0]!.price = 1_000_000;
    const path = join(root, 'tampered.json');
    await writeFile(path, JSON.stringify(tampered));
    await expect(loadNetworkConfigFile(path)).rejects.toThrow(NetworkConfigSignatureError);
  });
});

describe('loadNodeNetworkConfig', () => {
  it('uses the shipped config when nothing is given or stored, and stores it', async () => {
    const stored = join(root, 'network-config.json');
    const config = await loadNodeNetworkConfig(stored);
    expect(config.networkId).toBe('opengateway-main');
    expect((await loadNetworkConfigFile(stored)).config).toEqual(config);
  });

  it('keeps a stored config of another network (a devnet) and a given file wins over both', async () => {
    const stored = join(root, 'network-config.json');
    const devnet = await initNetwork({ outDir: join(root, 'dev'), founders: 1, threshold: 1 });
    expect((await loadNodeNetworkConfig(stored, devnet.configPath)).networkId).toBe(devnet.config.networkId);
    expect((await loadNodeNetworkConfig(stored)).networkId).toBe(devnet.config.networkId);
  });

  it('replaces a stored older revision of the default network with the newer shipped one', async () => {
    const stored = join(root, 'network-config.json');
    const current = loadDefaultNetworkConfig();
    await loadNodeNetworkConfig(stored);
    const newer = () => ({
      signed: current.signed,
      config: { ...current.config, revision: current.config.revision + 1 },
    });
    const adopted = await loadNodeNetworkConfig(stored, undefined, newer);
    expect(adopted.revision).toBe(current.config.revision + 1);
    expect(await readFile(stored, 'utf8')).toContain('"networkId": "opengateway-main"');
    // Same revision: the stored copy stays (a config gossiped later may be newer than the shipped one).
    const again = await loadNodeNetworkConfig(stored, undefined, () => current);
    expect(again.revision).toBe(current.config.revision);
  });
});
