// The envelope every call returns over either transport. Errors travel as data, not as thrown objects,
// because neither Electron IPC nor JSON keeps error classes intact.
import { object, oneOf, SchemaError, string } from './schema.ts';

/**
 * `expected`: an ExpectedError the user should read; `invalid-input`: the payload broke the contract;
 * `unknown-call`: no such call; `forbidden`: the sender is not our UI; `internal`: a bug, logged by the node;
 * `disconnected`: the transport is gone (set by clients, never sent).
 */
export const CALL_ERROR_KINDS = [
  'expected',
  'invalid-input',
  'unknown-call',
  'forbidden',
  'internal',
  'disconnected',
] as const;
export type CallErrorKind = (typeof CALL_ERROR_KINDS)[number];

export interface CallFailure {
  readonly kind: CallErrorKind;
  readonly message: string;
}

export type CallResult =
  { readonly ok: true; readonly output: unknown } | { readonly ok: false; readonly error: CallFailure };

const callFailureSchema = object({ kind: oneOf(CALL_ERROR_KINDS), message: string({ max: 1000 }) });

/** Checks the envelope only; the output is checked against the call's own schema by the client. */
export function parseCallResult(value: unknown): CallResult {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new SchemaError('result', 'expected an object');
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record).sort().join(',');
  if (record.ok === true && keys === 'ok,output') return { ok: true, output: record.output };
  if (record.ok === false && keys === 'error,ok')
    return { ok: false, error: callFailureSchema.parse(record.error, 'result.error') };
  throw new SchemaError('result', 'expected { ok: true, output } or { ok: false, error }');
}
