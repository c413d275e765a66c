// Founders sign a config: each signature covers the canonical bytes, so any founder can sign alone and the
// signatures are collected afterwards.
import type { KeyObject } from 'node:crypto';
import {
  bytesToHex,
  networkConfigSigningBytes,
  type NetworkConfig,
  type SignedNetworkConfig,
} from '../../../src-shared/network-config/index.ts';
import { rawPublicKey, signEd25519 } from './ed25519.ts';
import { createPublicKey } from 'node:crypto';

export function signNetworkConfig(
  config: NetworkConfig,
  founderKeys: readonly KeyObject[],
): SignedNetworkConfig {
  const message = networkConfigSigningBytes(config);
  const signatures = founderKeys.map((privateKey) => ({
    key: bytesToHex(rawPublicKey(createPublicKey(privateKey))),
    signature: bytesToHex(signEd25519(privateKey, message)),
  }));
  return { config, signatures };
}

/** The file format: pretty JSON, so founders can review a config before they sign it. */
export function serializeSignedNetworkConfig(signed: SignedNetworkConfig): string {
  return `${JSON.stringify(signed, null, 2)}\n`;
}
