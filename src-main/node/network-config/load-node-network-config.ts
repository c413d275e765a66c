import type { NetworkConfig } from '../../../src-shared/network-config/index.ts';
import { writeFileAtomic } from '../storage/atomic-write.ts';
import { NetworkConfigFileNotFoundError, NetworkConfigMissingError } from './errors.ts';
import { loadNetworkConfigFile } from './load-network-config.ts';
import { serializeSignedNetworkConfig } from './sign-network-config.ts';

/**
 * The network config a node starts with: a given file (verified, then stored as `storedPath` so later starts
 * and the desktop app use it without the flag), or the stored copy.
 */
export async function loadNodeNetworkConfig(storedPath: string, givenPath?: string): Promise<NetworkConfig> {
  if (givenPath !== undefined) {
    const loaded = await loadNetworkConfigFile(givenPath);
    await writeFileAtomic(storedPath, serializeSignedNetworkConfig(loaded.signed), 0o644);
    return loaded.config;
  }
  try {
    return (await loadNetworkConfigFile(storedPath)).config;
  } catch (error) {
    if (error instanceof NetworkConfigFileNotFoundError) throw new NetworkConfigMissingError(storedPath);
    throw error;
  }
}
