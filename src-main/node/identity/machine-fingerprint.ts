// The machine fingerprint: salted hashes of the stable hardware ids. It binds a ledger account to a machine so
// debt survives a reinstall (ref/ledger-design.md). It is a spoofable hint, never proof of anything.
import { createHash } from 'node:crypto';

/** Which hardware id a hash was made from, strongest first. */
export const HARDWARE_ID_KINDS = [
  'hardware-uuid',
  'system-uuid',
  'system-serial',
  'baseboard-serial',
  'disk-serial',
  'gpu-uuid',
  'os-machine-id',
] as const;
export type HardwareIdKind = (typeof HARDWARE_ID_KINDS)[number];

/**
 * The ids that survive a reinstall and stay with one machine (ref/ledger-design.md §10): SMBIOS UUID, baseboard
 * serial, the fixed boot disk's serial, GPU UUID. Only these are hashed into the ledger's machine binding;
 * `os-machine-id` (cloned with images, new on reinstall) and the SMBIOS system serial (often a placeholder or
 * the baseboard's) never are, so no weak id can tie two accounts together.
 */
export const STRONG_HARDWARE_ID_KINDS: readonly HardwareIdKind[] = [
  'hardware-uuid',
  'system-uuid',
  'baseboard-serial',
  'disk-serial',
  'gpu-uuid',
];

/**
 * Raw ids as the platform reports them; empty strings or a missing kind where it gives nothing.
 * `disk-serial` holds the boot disk's serial only, never a removable disk's.
 */
export type HardwareIds = Readonly<Partial<Record<HardwareIdKind, readonly string[]>>>;

export interface FingerprintHash {
  readonly kind: HardwareIdKind;
  /** hex SHA-256 of (domain, salt, kind, id) */
  readonly hash: string;
}

/** Every usable id of this machine, hashed. Empty when the machine reports no real id (then nothing binds). */
export interface MachineFingerprint {
  readonly hashes: readonly FingerprintHash[];
}

// Vendors and VMs fill unknown ids with these; hashing one would tie unrelated machines together.
const PLACEHOLDER =
  /^(|-+|0+|none|null|n\/a|unknown|not (specified|applicable|available)|default string|to be filled by o\.e\.m\.|o\.e\.m\.?|system serial number|chassis serial number|system product name|123456789|0{8}-0{4}-0{4}-0{4}-0{12}|f{8}-f{4}-f{4}-f{4}-f{12}|03000200-0400-0500-0006-000700080009)$/i;

/** The id in canonical form, or '' for a placeholder. */
export function cleanHardwareId(raw: string | null | undefined): string {
  if (typeof raw !== 'string') return '';
  const trimmed = raw.trim();
  if (PLACEHOLDER.test(trimmed)) return '';
  // Drop separators so "ABCD-1234" and "abcd1234" from two tools hash alike.
  const canonical = trimmed.toLowerCase().replace(/[\s:_-]+/g, '');
  return /^(.)\1*$/.test(canonical) ? '' : canonical;
}

/**
 * Hash every real strong id with the network's salt. Pure: same ids and salt, same fingerprint. One value
 * reported under two kinds (Linux gives the SMBIOS UUID as both hardware and system uuid) is hashed once:
 * it is one id, and the ledger needs two distinct ids to call two accounts one machine.
 */
export function fingerprintFromIds(ids: HardwareIds, salt: string): MachineFingerprint {
  const seen = new Set<string>();
  const hashes: FingerprintHash[] = [];
  for (const kind of STRONG_HARDWARE_ID_KINDS) {
    for (const raw of ids[kind] ?? []) {
      const id = cleanHardwareId(raw);
      if (id === '' || seen.has(id)) continue;
      seen.add(id);
      const hash = createHash('sha256').update(`og-fingerprint-v1\0${salt}\0${kind}\0${id}`).digest('hex');
      hashes.push({ kind, hash });
    }
  }
  return { hashes };
}

/** True when two fingerprints share at least two hashed strong ids: the same machine, as far as we can tell. */
export function sameMachine(a: MachineFingerprint, b: MachineFingerprint): boolean {
  const theirs = new Set(b.hashes.map((entry) => entry.hash));
  return a.hashes.filter((entry) => theirs.has(entry.hash)).length >= 2;
}
