// Signatures checked once per node (issue 17): a block, quote or receipt often reaches the verifier more
// than once (a partial block verified when parked and again when its predecessor arrives, a RESERVE checked
// before and after a chain pull, the same block by gossip and by sync). A bounded memory of signatures that
// verified answers those repeats without another Ed25519 check. Only successes are kept, and a hit needs
// the same signature, message and key byte for byte, so a cached answer is always the verifier's answer.
import { bytesEqual, toHex } from './bytes.ts';
import type { SignatureVerifier } from './ed25519-strict.ts';

/** How many verified signatures a node remembers by default (~200 bytes each). */
export const DEFAULT_VERIFIED_SIGNATURES = 8192;

/** `verify`, remembering the last `capacity` signatures that verified. */
export function rememberingVerifier(
  verify: SignatureVerifier,
  capacity = DEFAULT_VERIFIED_SIGNATURES,
): SignatureVerifier {
  const verified = new Map<string, { readonly message: Uint8Array; readonly publicKey: Uint8Array }>();
  return (signature, message, publicKey) => {
    const key = toHex(signature);
    const known = verified.get(key);
    if (known && bytesEqual(known.message, message) && bytesEqual(known.publicKey, publicKey)) return true;
    if (!verify(signature, message, publicKey)) return false;
    if (verified.size >= capacity) verified.delete(verified.keys().next().value!);
    verified.set(key, { message: Uint8Array.from(message), publicKey: Uint8Array.from(publicKey) });
    return true;
  };
}
