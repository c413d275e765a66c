// Reads a signed network config file and accepts it only with M-of-N valid founder signatures.
import { open } from 'node:fs/promises';
import {
  MAX_NETWORK_CONFIG_BYTES,
  parseSignedNetworkConfig,
  verifySignedNetworkConfig,
  type NetworkConfig,
  type SignedNetworkConfig,
} from '../../../src-shared/network-config/index.ts';
import { nodeEd25519Verify } from './ed25519.ts';
import { NetworkConfigFileNotFoundError, NetworkConfigUnreadableError } from './errors.ts';

export interface LoadedNetworkConfig {
  readonly config: NetworkConfig;
  /** The document as read, to store a copy in the data directory. */
  readonly signed: SignedNetworkConfig;
}

/** Throws NetworkConfigUnreadableError, NetworkConfigInvalidError or NetworkConfigSignatureError. */
export async function loadNetworkConfigFile(path: string): Promise<LoadedNetworkConfig> {
  const text = await readBounded(path);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new NetworkConfigUnreadableError(path, `not JSON (${(error as Error).message})`);
  }
  const signed = parseSignedNetworkConfig(json);
  const config = verifySignedNetworkConfig(signed, nodeEd25519Verify);
  return { config, signed };
}

async function readBounded(path: string): Promise<string> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new NetworkConfigFileNotFoundError(path);
    throw new NetworkConfigUnreadableError(path, code ?? 'unknown error');
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw new NetworkConfigUnreadableError(path, 'not a file');
    if (info.size > MAX_NETWORK_CONFIG_BYTES)
      throw new NetworkConfigUnreadableError(path, `larger than ${MAX_NETWORK_CONFIG_BYTES} bytes`);
    // Read one byte more than the limit: the file may grow between stat and read.
    const buffer = Buffer.alloc(MAX_NETWORK_CONFIG_BYTES + 1);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    if (bytesRead > MAX_NETWORK_CONFIG_BYTES)
      throw new NetworkConfigUnreadableError(path, `larger than ${MAX_NETWORK_CONFIG_BYTES} bytes`);
    return new TextDecoder('utf-8', { fatal: true }).decode(buffer.subarray(0, bytesRead));
  } catch (error) {
    if (error instanceof NetworkConfigUnreadableError) throw error;
    throw new NetworkConfigUnreadableError(path, (error as Error).message);
  } finally {
    await handle.close();
  }
}
