// One strict decoder for the protocol's CBOR maps (heartbeats, infer frames): a single encoding per value,
// no tags, no indefinite lengths, no undefined/NaN/Infinity/bigints, no duplicate keys. Never throws.
import { decode } from 'cborg';

export type StrictRecordDecode =
  | { readonly ok: true; readonly record: Record<string, unknown> }
  | { readonly ok: false; readonly error: string };

export function decodeStrictCborRecord(bytes: Uint8Array): StrictRecordDecode {
  let value: unknown;
  try {
    value = decode(bytes, {
      strict: true,
      rejectDuplicateMapKeys: true,
      allowIndefinite: false,
      allowUndefined: false,
      allowInfinity: false,
      allowNaN: false,
      allowBigInt: false,
      useMaps: false,
      tags: [],
    });
  } catch (error) {
    return {
      ok: false,
      error: `not strict CBOR (${error instanceof Error ? error.message : 'undecodable'})`,
    };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value) || value instanceof Uint8Array) {
    return { ok: false, error: 'not a map' };
  }
  return { ok: true, record: value as Record<string, unknown> };
}
