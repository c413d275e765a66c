import type { NetworkConfig } from '../../../src-shared/network-config/index.ts';
import { writeFileAtomic } from '../storage/atomic-write.ts';
import { loadDefaultNetworkConfig } from './default-network.ts';
import { NetworkConfigFileNotFoundError } from './errors.ts';
import { loadNetworkConfigFile, type LoadedNetworkConfig } from './load-network-config.ts';
import { serializeSignedNetworkConfig } from './sign-network-config.ts';

/**
 * The network config a node starts with: a given file (verified, then stored as `storedPath` so later starts
 * and the desktop app use it without the flag), else the stored copy, else the default network's config that
 * ships with the app. A stored copy of the default network older than the shipped one is replaced by it (an
 * app update brings a newer revision, like one gossiped on `/og/2/config`).
 */
export async function loadNodeNetworkConfig(
  storedPath: string,
  givenPath?: string,
  shipped: () => LoadedNetworkConfig = loadDefaultNetworkConfig,
): Promise<NetworkConfig> {
  if (givenPath !== undefined) return store(storedPath, await loadNetworkConfigFile(givenPath));
  let stored: LoadedNetworkConfig;
  try {
    stored = await loadNetworkConfigFile(storedPath);
  } catch (error) {
    if (error instanceof NetworkConfigFileNotFoundError) return store(storedPath, shipped());
    throw error;
  }
  let fallback: LoadedNetworkConfig | null = null;
  try {
    fallback = shipped();
  } catch {
    // A node of another network (a devnet) does not depend on the shipped file being sound.
  }
  const newerShipped =
    fallback !== null &&
    fallback.config.networkId === stored.config.networkId &&
    fallback.config.revision > stored.config.revision;
  return newerShipped && fallback !== null ? store(storedPath, fallback) : stored.config;
}

async function store(path: string, loaded: LoadedNetworkConfig): Promise<NetworkConfig> {
  await writeFileAtomic(path, serializeSignedNetworkConfig(loaded.signed), 0o644);
  return loaded.config;
}
