// The ledger's view of the node identity: the account signer and the machine fingerprint as 32-byte hashes
// (identity keeps them as hex strings with their kind; the OPEN block carries only the hashes).
import { fromHex } from '../../../src-shared/ledger/bytes.ts';
import type { IdentityService } from '../identity/identity-service.ts';
import type { MachineFingerprint } from '../identity/machine-fingerprint.ts';
import type { LedgerComponents } from './ledger-service.ts';
import { signerFromIdentity } from './ledger-signer.ts';

/** The fingerprint's hashes as bytes; malformed entries (not 64 hex digits) are left out. */
export function fingerprintHashes(fingerprint: MachineFingerprint): Uint8Array[] {
  return fingerprint.hashes.filter((h) => /^[0-9a-f]{64}$/.test(h.hash)).map((h) => fromHex(h.hash));
}

/** LedgerService components from a started IdentityService. */
export function ledgerComponentsFromIdentity(identity: IdentityService): LedgerComponents {
  return {
    signer: signerFromIdentity(identity.privateKey),
    fingerprint: fingerprintHashes(identity.fingerprint),
  };
}
