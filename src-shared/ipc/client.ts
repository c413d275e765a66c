// The UI half of the contract: typed calls whose outputs and notifications are checked before use.
import type { CallErrorKind } from './call-result.ts';
import { parseCallResult } from './call-result.ts';
import {
  IPC_CALLS,
  IPC_NOTIFICATIONS,
  isNotificationName,
  type CallInput,
  type CallName,
  type CallOutput,
  type Notification,
} from './contract.ts';
import { SchemaError } from './schema.ts';
import type { ContractTransport } from './transport.ts';

/** A call that did not succeed, with its kind so the UI can phrase it (only `expected` is shown verbatim). */
export class ContractCallError extends Error {
  readonly kind: CallErrorKind;
  constructor(kind: CallErrorKind, message: string) {
    super(message);
    this.name = 'ContractCallError';
    this.kind = kind;
  }
}

export interface ContractClient {
  call<K extends CallName>(
    name: K,
    ...input: CallInput<K> extends null ? [] : [CallInput<K>]
  ): Promise<CallOutput<K>>;
  subscribe(listener: (notification: Notification) => void): () => void;
}

export interface ContractClientOptions {
  /** Told about every notification that broke the contract (it is dropped). */
  readonly onInvalidNotification?: (name: string, problem: string) => void;
}

export function createContractClient(
  transport: ContractTransport,
  options: ContractClientOptions = {},
): ContractClient {
  return {
    async call(name, ...rest) {
      const input = rest.length === 0 ? null : rest[0];
      let raw: unknown;
      try {
        raw = await transport.call(name, input);
      } catch (error) {
        throw new ContractCallError(
          'disconnected',
          error instanceof Error ? error.message : 'Not connected.',
        );
      }
      let result;
      try {
        result = parseCallResult(raw);
      } catch (error) {
        throw new ContractCallError('internal', `The node sent a malformed reply: ${String(error)}`);
      }
      if (!result.ok) throw new ContractCallError(result.error.kind, result.error.message);
      try {
        return IPC_CALLS[name].output.parse(result.output, `${name}.output`) as CallOutput<typeof name>;
      } catch (error) {
        const problem = error instanceof SchemaError ? error.message : String(error);
        throw new ContractCallError(
          'internal',
          `The node sent a reply this app does not understand (${problem}).`,
        );
      }
    },
    subscribe(listener) {
      return transport.subscribe(({ name, payload }) => {
        if (!isNotificationName(name)) {
          options.onInvalidNotification?.(String(name).slice(0, 60), 'unknown notification');
          return;
        }
        let checked: unknown;
        try {
          checked = IPC_NOTIFICATIONS[name].parse(payload, name);
        } catch (error) {
          options.onInvalidNotification?.(name, error instanceof Error ? error.message : String(error));
          return;
        }
        listener({ name, payload: checked } as Notification);
      });
    },
  };
}
