// The signed network config document: the config plus founder signatures over its canonical bytes.
// Verification takes the Ed25519 verifier as a parameter (the ledger's pattern): @noble/curves works anywhere,
// the node passes Node's native verifier.
import { encode } from 'cborg';
import { NetworkConfigInvalidError, NetworkConfigSignatureError } from './errors.ts';
import { hexToBytes } from './hex.ts';
import { parseNetworkConfig, type NetworkConfig } from './network-config.ts';

/** Signed along with the config, so a founder signature can never be replayed as another kind of message. */
export const NETWORK_CONFIG_SIGNING_DOMAIN = 'opengateway/network-config/v1\n';

export interface FounderSignature {
  /** The founder's public key, lower-case hex (must be one of config.founders). */
  readonly key: string;
  /** Ed25519 signature over networkConfigSigningBytes(config), lower-case hex. */
  readonly signature: string;
}

export interface SignedNetworkConfig {
  readonly config: NetworkConfig;
  readonly signatures: readonly FounderSignature[];
}

/** `(publicKey 32 B, message, signature 64 B) → valid?`; must return false (not throw) on a bad signature. */
export type Ed25519Verify = (publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) => boolean;

/**
 * The bytes founders sign: canonical CBOR of [domain, config] (cborg sorts map keys length-first and writes
 * integers in their shortest form), so JSON whitespace or key order never changes them.
 */
export function networkConfigSigningBytes(config: NetworkConfig): Uint8Array {
  // Re-parse first: only the schema's fields, in a fresh object, ever reach the signed bytes.
  return encode([NETWORK_CONFIG_SIGNING_DOMAIN, parseNetworkConfig(config)]);
}

/** Check the document's shape (not its signatures). */
export function parseSignedNetworkConfig(value: unknown): SignedNetworkConfig {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new NetworkConfigInvalidError('', 'the file must hold a JSON object');
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record)) {
    if (key !== 'config' && key !== 'signatures')
      throw new NetworkConfigInvalidError('', `unknown field ${JSON.stringify(key.slice(0, 64))}`);
  }
  const config = parseNetworkConfig(record.config);
  const list = record.signatures;
  if (!Array.isArray(list)) throw new NetworkConfigInvalidError('signatures', 'must be a list');
  if (list.length > config.founders.length)
    throw new NetworkConfigInvalidError('signatures', 'more signatures than founders');
  const signatures = list.map((entry: unknown, i): FounderSignature => {
    const path = `signatures[${i}]`;
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      throw new NetworkConfigInvalidError(path, 'must be an object');
    const { key, signature, ...rest } = entry as Record<string, unknown>;
    if (Object.keys(rest).length > 0) throw new NetworkConfigInvalidError(path, 'unknown field');
    if (typeof key !== 'string' || hexToBytes(key, 32) === null)
      throw new NetworkConfigInvalidError(`${path}.key`, 'not a 32-byte hex key');
    if (typeof signature !== 'string' || hexToBytes(signature, 64) === null)
      throw new NetworkConfigInvalidError(`${path}.signature`, 'not a 64-byte hex signature');
    return { key, signature };
  });
  return { config, signatures };
}

/**
 * Count distinct founders whose signature verifies; throws NetworkConfigSignatureError below the threshold.
 * Signatures by keys that are not founders count for nothing.
 */
export function verifySignedNetworkConfig(signed: SignedNetworkConfig, verify: Ed25519Verify): NetworkConfig {
  const { config } = signed;
  const message = networkConfigSigningBytes(config);
  const founders = new Set(config.founders);
  const valid = new Set<string>();
  for (const { key, signature } of signed.signatures) {
    if (!founders.has(key) || valid.has(key)) continue;
    const publicKey = hexToBytes(key, 32);
    const sig = hexToBytes(signature, 64);
    if (publicKey === null || sig === null) continue;
    let ok: boolean;
    try {
      ok = verify(publicKey, message, sig);
    } catch {
      ok = false;
    }
    if (ok) valid.add(key);
  }
  if (valid.size < config.threshold)
    throw new NetworkConfigSignatureError(valid.size, config.threshold, config.networkId);
  return config;
}
