// MachineBinding: the OPEN block's `extra` (ref/ledger-design.md §10). It carries the salted machine
// fingerprint so that debt follows the machine across a reinstall, and optionally names the predecessor
// account whose debt this account takes over (credit never moves this way).
import { bytesEqual, compareBytes, toHex } from './bytes.ts';
import { CanonicalReader } from './canonical-reader.ts';
import { asArray, asBytes, asU64, decodeCanonical, encodeCanonical, SchemaError } from './strict-cbor.ts';

export const MAX_FINGERPRINT_HASHES = 16;
const MAX_BINDING_BYTES = 1024;

/** The debt an OPEN takes over: the predecessor's block at `seq` with id `head` fixes the amount. */
export interface Inheritance {
  readonly predecessor: Uint8Array;
  readonly seq: bigint;
  readonly head: Uint8Array;
}

export interface MachineBinding {
  /** Salted SHA-256 hashes of the machine's hardware ids, sorted, distinct. */
  readonly fingerprint: readonly Uint8Array[];
  readonly inherits: Inheritance | null;
}

function toCbor(b: MachineBinding): unknown[] {
  return [
    b.fingerprint,
    b.inherits ? b.inherits.predecessor : new Uint8Array(0),
    b.inherits ? b.inherits.seq : 0n,
    b.inherits ? b.inherits.head : new Uint8Array(0),
  ];
}

function fromCbor(value: unknown): MachineBinding {
  const f = asArray(value, 'binding', 4);
  const fingerprint = asArray(f[0], 'fingerprint', undefined, MAX_FINGERPRINT_HASHES).map((h) =>
    asBytes(h, 'fingerprint hash', 32),
  );
  for (let i = 1; i < fingerprint.length; i++) {
    if (compareBytes(fingerprint[i - 1]!, fingerprint[i]!) >= 0)
      throw new SchemaError('fingerprint: not sorted');
  }
  const predecessor = asBytes(f[1], 'predecessor', undefined, 32);
  const seq = asU64(f[2], 'predecessor seq');
  const head = asBytes(f[3], 'predecessor head', undefined, 32);
  if (predecessor.length === 0) {
    if (seq !== 0n || head.length !== 0) throw new SchemaError('inheritance: partial');
    return { fingerprint, inherits: null };
  }
  if (predecessor.length !== 32 || head.length !== 32 || seq < 1n)
    throw new SchemaError('inheritance: malformed');
  return { fingerprint, inherits: { predecessor, seq, head } };
}

/** Canonical bytes (fingerprint sorted and deduplicated here). */
export function encodeMachineBinding(binding: MachineBinding): Uint8Array {
  const unique = new Map<string, Uint8Array>();
  for (const hash of binding.fingerprint) unique.set(toHex(hash), hash);
  const fingerprint = [...unique.values()].sort(compareBytes);
  return encodeCanonical(toCbor({ ...binding, fingerprint }));
}

/**
 * The binding, or null when the bytes are not its canonical encoding. Works on a private copy: the returned
 * hashes never alias the caller's buffer.
 */
export function decodeMachineBinding(bytes: Uint8Array): MachineBinding | null {
  return readMachineBinding(new Uint8Array(bytes));
}

/**
 * decodeMachineBinding without the copy, for bytes that never change (a decoded block's `extra`): the hashes
 * are views into them. One pass of CanonicalReader proves canonicity, as decoding and re-encoding would
 * (`decodeMachineBindingByReencoding`, the reference the tests compare it with).
 */
export function readMachineBinding(bytes: Uint8Array): MachineBinding | null {
  if (bytes.length === 0 || bytes.length > MAX_BINDING_BYTES) return null;
  try {
    const r = new CanonicalReader(bytes);
    r.array(4);
    const count = r.array(undefined, MAX_FINGERPRINT_HASHES);
    const fingerprint: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const hash = r.bytes(32);
      if (i > 0 && compareBytes(fingerprint[i - 1]!, hash) >= 0) return null;
      fingerprint.push(hash);
    }
    const predecessor = r.bytes(undefined, 32);
    const seq = r.u64();
    const head = r.bytes(undefined, 32);
    r.end();
    if (predecessor.length === 0)
      return seq === 0n && head.length === 0 ? { fingerprint, inherits: null } : null;
    if (predecessor.length !== 32 || head.length !== 32 || seq < 1n) return null;
    return { fingerprint, inherits: { predecessor, seq, head } };
  } catch (error) {
    if (error instanceof SchemaError) return null;
    throw error;
  }
}

/** The generic strict decode + re-encode comparison; kept as the reference readMachineBinding is tested against. */
export function decodeMachineBindingByReencoding(bytes: Uint8Array): MachineBinding | null {
  return decodeCanonical(bytes, MAX_BINDING_BYTES, fromCbor, toCbor);
}

/**
 * Shared hashes it takes to call two OPENs one machine: at least two strong hardware ids (SMBIOS UUID,
 * baseboard serial, boot-disk serial, GPU UUID; ref/ledger-design.md §10). One shared id is too weak: an
 * external disk moves between machines, cloned images share ids, and any id of an OPEN is public.
 */
export const MIN_SHARED_HARDWARE_IDS = 2;

/**
 * Same machine as far as fingerprints tell: at least max(MIN_SHARED_HARDWARE_IDS, `minShared`) shared
 * hashes. A fingerprint with fewer hashes never matches anything. A cost-raiser, not proof (§10).
 */
export function sameMachineBinding(
  a: readonly Uint8Array[],
  b: readonly Uint8Array[],
  minShared: number,
): boolean {
  const needed = Math.max(MIN_SHARED_HARDWARE_IDS, minShared);
  if (a.length < needed || b.length < needed) return false;
  let shared = 0;
  for (const x of a) if (b.some((y) => bytesEqual(x, y))) shared++;
  return shared >= needed;
}
