import { describe, expect, it, vi } from 'vitest';
import {
  createContractClient,
  type ContractTransport,
  type RawNotification,
} from '../../../src-shared/ipc/index.ts';

function transportReplying(reply: unknown): ContractTransport & { push(n: RawNotification): void } {
  const listeners = new Set<(n: RawNotification) => void>();
  return {
    call: () => Promise.resolve(reply),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    push(notification) {
      for (const listener of listeners) listener(notification);
    },
  };
}

describe('createContractClient', () => {
  it('rejects replies that do not match the call output schema', async () => {
    const client = createContractClient(transportReplying({ ok: true, output: { status: 'ready' } }));
    await expect(client.call('getStatus')).rejects.toMatchObject({ kind: 'internal' });
  });

  it('rejects malformed envelopes', async () => {
    const client = createContractClient(transportReplying({ ok: 'yes' }));
    await expect(client.call('getStatus')).rejects.toMatchObject({ kind: 'internal' });
  });

  it('turns a failure envelope into a ContractCallError with its kind and message', async () => {
    const client = createContractClient(
      transportReplying({ ok: false, error: { kind: 'expected', message: 'Balance below 1,000' } }),
    );
    await expect(client.call('pause', {})).rejects.toMatchObject({
      kind: 'expected',
      message: 'Balance below 1,000',
    });
  });

  it('delivers valid notifications and drops unknown or malformed ones', () => {
    const transport = transportReplying(null);
    const onInvalidNotification = vi.fn();
    const client = createContractClient(transport, { onInvalidNotification });
    const received = vi.fn();
    client.subscribe(received);
    transport.push({ name: 'status', payload: { status: 'paused', reason: 'user', since: 1 } });
    transport.push({ name: 'status', payload: { status: 'paused', reason: 'bored', since: 1 } });
    transport.push({ name: 'constructor', payload: {} });
    expect(received).toHaveBeenCalledTimes(1);
    expect(received).toHaveBeenCalledWith({
      name: 'status',
      payload: { status: 'paused', reason: 'user', since: 1 },
    });
    expect(onInvalidNotification).toHaveBeenCalledTimes(2);
  });
});
