// The default network (DESIGN.md §5, §12): its signed config ships inside the app, so a node joins it with no
// flag at all. It is checked like any other config (M-of-N founder signatures) before it is used: a damaged
// or tampered copy in an install stops the node with the same named errors as a bad --network-config file.
import shipped from './default-network/opengateway-main.json' with { type: 'json' };
import {
  parseSignedNetworkConfig,
  verifySignedNetworkConfig,
} from '../../../src-shared/network-config/index.ts';
import { nodeEd25519Verify } from './ed25519.ts';
import type { LoadedNetworkConfig } from './load-network-config.ts';

/** The shipped config, verified. Throws NetworkConfigInvalidError or NetworkConfigSignatureError. */
export function loadDefaultNetworkConfig(): LoadedNetworkConfig {
  const signed = parseSignedNetworkConfig(shipped);
  return { config: verifySignedNetworkConfig(signed, nodeEd25519Verify), signed };
}
