// The server half shared by both transports: look the call up, validate its input, run the handler and
// turn whatever happens into a CallResult. A bad payload or a bug never escapes as a throw.
import { isExpectedError } from '../errors/expected-error.ts';
import type { CallResult } from './call-result.ts';
import {
  IPC_CALLS,
  isCallName,
  type AbortSignalLike,
  type CallContext,
  type ContractHandlers,
} from './contract.ts';
import { SchemaError } from './schema.ts';

export interface DispatchOptions {
  /** Called with every non-expected error (a bug): the node logs it with context. */
  readonly onInternalError?: (error: unknown, call: string) => void;
}

export async function dispatchCall<Signal extends AbortSignalLike>(
  handlers: ContractHandlers<Signal>,
  name: unknown,
  rawInput: unknown,
  context: CallContext<Signal>,
  options: DispatchOptions = {},
): Promise<CallResult> {
  if (!isCallName(name)) {
    const shown = typeof name === 'string' ? name.slice(0, 60) : typeof name;
    return { ok: false, error: { kind: 'unknown-call', message: `There is no call named "${shown}".` } };
  }
  let input: unknown;
  try {
    input = IPC_CALLS[name].input.parse(rawInput, 'input');
  } catch (error) {
    const message = error instanceof SchemaError ? error.message : 'The input is not valid.';
    return { ok: false, error: { kind: 'invalid-input', message } };
  }
  try {
    // The map is keyed by name, so the handler and its validated input always belong together.
    const handler = handlers[name] as (input: unknown, context: CallContext<Signal>) => Promise<unknown>;
    const output = await handler(input, context);
    return { ok: true, output: output === undefined ? null : output };
  } catch (error) {
    if (isExpectedError(error)) return { ok: false, error: { kind: 'expected', message: error.message } };
    options.onInternalError?.(error, name);
    return {
      ok: false,
      error: { kind: 'internal', message: 'Something went wrong inside OpenGateway. It has been logged.' },
    };
  }
}
