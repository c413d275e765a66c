// Strict readers for the network config's untrusted JSON: each checks one field's type and bounds and names
// the field in its error, so a founder (or an attacker's peer) learns exactly what was refused.
import { NetworkConfigInvalidError } from './errors.ts';

type Obj = Record<string, unknown>;

/** An object holding only `allowed` keys (unknown fields would escape the signature's meaning). */
export function object(value: unknown, path: string, allowed: readonly string[]): Obj {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new NetworkConfigInvalidError(path, 'must be an object');
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key))
      throw new NetworkConfigInvalidError(path, `unknown field ${JSON.stringify(key.slice(0, 64))}`);
  }
  return value as Obj;
}

export function array(value: unknown, path: string, max: number): unknown[] {
  if (!Array.isArray(value)) throw new NetworkConfigInvalidError(path, 'must be a list');
  if (value.length > max) throw new NetworkConfigInvalidError(path, `more than ${max} entries`);
  return value as unknown[];
}

export function string(value: unknown, path: string, min: number, max: number): string {
  if (typeof value !== 'string') throw new NetworkConfigInvalidError(path, 'must be a string');
  if (value.length < min || value.length > max)
    throw new NetworkConfigInvalidError(path, `must be ${min}–${max} characters`);
  return value;
}

export function int(value: unknown, path: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value))
    throw new NetworkConfigInvalidError(path, 'must be a whole number');
  if (value < min || value > max)
    throw new NetworkConfigInvalidError(path, `must be between ${min} and ${max}`);
  return value;
}
