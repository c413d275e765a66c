// Is a signed config from `/og/2/config` a valid successor of ours (DESIGN.md §5)? Pure: bytes in, verdict
// out. The bytes are untrusted: size-limited, strictly decoded, then checked against the *current* config's
// founders — a document's own founder list proves nothing, or anyone could sign a config naming themselves.
// A revision may not change what the ledger's history was judged by (security finding 4): every stored block
// is validated again at each start with the config in force, so a changed price, genesis, fingerprint salt
// or ledger setting would invalidate history. New tiers (with their own prices) may be added; nothing the
// ledger reads may change or go away.
import {
  NetworkConfigInvalidError,
  NetworkConfigSignatureError,
  hexToBytes,
  networkConfigSigningBytes,
  parseSignedNetworkConfig,
  verifySignedNetworkConfig,
  type Ed25519Verify,
  type NetworkConfig,
  type SignedNetworkConfig,
} from '../../../src-shared/network-config/index.ts';

/**
 * Largest update accepted, encoded: gossipsub's own message limit (libp2p-options' MAX_GOSSIP_DATA_BYTES).
 * A config with 32 founders and every region's bootstrap list is a few KiB.
 */
export const MAX_CONFIG_UPDATE_BYTES = 64 * 1024;

export type ConfigUpdateVerdict =
  | { readonly verdict: 'accept'; readonly signed: SignedNetworkConfig; readonly config: NetworkConfig }
  /** Valid-looking but not news (an older or the same revision): dropped without blaming the sender. */
  | { readonly verdict: 'ignore'; readonly reason: string }
  /** Malformed, another network's, or not signed by our founders: dropped, and the sender's score drops. */
  | { readonly verdict: 'reject'; readonly reason: string };

/** The wire form: the signed document as compact JSON (the file form is the same JSON, pretty-printed). */
export function encodeConfigUpdate(signed: SignedNetworkConfig): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(signed));
}

export function judgeConfigUpdate(
  current: NetworkConfig,
  data: Uint8Array,
  verify: Ed25519Verify,
): ConfigUpdateVerdict {
  if (data.length > MAX_CONFIG_UPDATE_BYTES)
    return { verdict: 'reject', reason: `larger than ${MAX_CONFIG_UPDATE_BYTES} bytes` };
  let signed: SignedNetworkConfig;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    signed = parseSignedNetworkConfig(JSON.parse(text));
  } catch (error) {
    const detail = error instanceof NetworkConfigInvalidError ? error.message : 'not UTF-8 JSON';
    return { verdict: 'reject', reason: `malformed: ${detail}` };
  }
  return judgeSignedConfigUpdate(current, signed, verify);
}

/** The same checks for a document already decoded (a founder publishing an update from a file). */
export function judgeSignedConfigUpdate(
  current: NetworkConfig,
  signed: SignedNetworkConfig,
  verify: Ed25519Verify,
): ConfigUpdateVerdict {
  const candidate = signed.config;
  if (candidate.networkId !== current.networkId)
    return { verdict: 'reject', reason: `for network "${candidate.networkId.slice(0, 64)}", not ours` };
  if (candidate.revision <= current.revision)
    return {
      verdict: 'ignore',
      reason: `revision ${candidate.revision} is not newer than ours (${current.revision})`,
    };
  const rewrite = ledgerTermsChange(current, candidate);
  if (rewrite !== null)
    return {
      verdict: 'reject',
      reason: `changes the ledger's terms (${rewrite}); they are fixed for a network`,
    };
  const signers = countCurrentFounderSignatures(current, signed, verify);
  if (signers < current.threshold)
    return {
      verdict: 'reject',
      reason: `${signers} valid signature(s) by the current founders, ${current.threshold} required`,
    };
  // The stored file is verified against its own founders at every start: a config that fails that check would
  // leave the node unable to start, so it must hold both sets of signatures.
  try {
    verifySignedNetworkConfig(signed, verify);
  } catch (error) {
    if (error instanceof NetworkConfigSignatureError)
      return { verdict: 'reject', reason: `not signed by its own founders: ${error.message}` };
    throw error;
  }
  return { verdict: 'accept', signed, config: candidate };
}

/**
 * What of the ledger's terms `candidate` changes compared with `current`, or null when nothing: the ledger
 * settings, the genesis allocations, the fingerprint salt, and the price of every existing tier.
 */
export function ledgerTermsChange(current: NetworkConfig, candidate: NetworkConfig): string | null {
  const a = current.ledger;
  const b = candidate.ledger;
  if (
    a.minBalanceToRequest !== b.minBalanceToRequest ||
    a.debtFloor !== b.debtFloor ||
    a.ackEveryTokens !== b.ackEveryTokens
  )
    return 'ledger settings';
  if (current.fingerprintSalt !== candidate.fingerprintSalt) return 'fingerprint salt';
  const genesisOf = (config: NetworkConfig) =>
    JSON.stringify(
      config.genesis
        .map((g) => [g.account, g.amount] as const)
        .sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : x[1] - y[1])),
    );
  if (genesisOf(current) !== genesisOf(candidate)) return 'genesis';
  const prices = new Map(candidate.tiers.map((tier) => [tier.id, tier.price]));
  for (const tier of current.tiers) {
    const price = prices.get(tier.id);
    if (price === undefined) return `tier ${tier.id} removed`;
    if (price !== tier.price) return `price of ${tier.id}`;
  }
  return null;
}

function countCurrentFounderSignatures(
  current: NetworkConfig,
  signed: SignedNetworkConfig,
  verify: Ed25519Verify,
): number {
  const founders = new Set(current.founders);
  const message = networkConfigSigningBytes(signed.config);
  const valid = new Set<string>();
  for (const { key, signature } of signed.signatures) {
    if (!founders.has(key) || valid.has(key)) continue;
    const publicKey = hexToBytes(key, 32);
    const bytes = hexToBytes(signature, 64);
    if (publicKey === null || bytes === null) continue;
    let ok: boolean;
    try {
      ok = verify(publicKey, message, bytes);
    } catch {
      ok = false;
    }
    if (ok) valid.add(key);
  }
  return valid.size;
}
