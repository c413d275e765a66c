import { describe, expect, it, vi } from 'vitest';
import { createNotificationHub, SchemaError } from '../../../src-shared/ipc/index.ts';

describe('createNotificationHub', () => {
  it('delivers checked notifications to every subscriber until they unsubscribe', () => {
    const hub = createNotificationHub();
    const first = vi.fn();
    const second = vi.fn();
    const stopFirst = hub.subscribe(first);
    hub.subscribe(second);
    hub.publish('status', { status: 'starting' });
    stopFirst();
    hub.publish('status', { status: 'error', message: 'disk full' });
    expect(first).toHaveBeenCalledTimes(1);
    expect(second).toHaveBeenCalledTimes(2);
  });

  it('refuses to publish a payload that breaks the contract, so no UI ever receives it', () => {
    const hub = createNotificationHub();
    const listener = vi.fn();
    hub.subscribe(listener);
    expect(() => hub.publish('status', { status: 'ready' } as never)).toThrow(SchemaError);
    expect(listener).not.toHaveBeenCalled();
  });

  it('keeps delivering to the others when one subscriber throws', () => {
    const hub = createNotificationHub();
    const healthy = vi.fn();
    hub.subscribe(() => {
      throw new Error('broken transport');
    });
    hub.subscribe(healthy);
    hub.publish('status', { status: 'starting' });
    hub.publish('status', { status: 'starting' });
    expect(healthy).toHaveBeenCalledTimes(2);
  });
});
