import { describe, expect, it, vi } from 'vitest';
import { registerContractIpc } from '../../../../src-main/app/ipc/register-contract-ipc.ts';
import { createSenderCheck, type SenderEvent } from '../../../../src-main/app/ipc/sender-check.ts';
import { CALL_NAMES, callChannel } from '../../../../src-shared/ipc/index.ts';
import { createInMemoryNode } from '../../../../e2e/fixture/in-memory-node.ts';

const RENDERER = 'file:///opt/OpenGateway/resources/app.asar/out/renderer/index.html';

type Handler = (event: SenderEvent, input: unknown) => Promise<unknown>;

function setup() {
  const handlers = new Map<string, Handler>();
  const ipcMain = {
    handle: vi.fn((channel: string, listener: Handler) => void handlers.set(channel, listener)),
    removeHandler: vi.fn((channel: string) => void handlers.delete(channel)),
  };
  const node = createInMemoryNode();
  const onRefused = vi.fn();
  const unregister = registerContractIpc({
    ipcMain: ipcMain,
    handlers: node.handlers,
    isTrustedSender: createSenderCheck({ trustedWebContentsIds: () => new Set([7]), rendererUrl: RENDERER }),
    signal: new AbortController().signal,
    onRefused,
  });
  const invoke = (channel: string, event: SenderEvent, input: unknown = null) => {
    const handler = handlers.get(channel);
    if (!handler) throw new Error(`no handler for ${channel}`);
    return handler(event, input);
  };
  return { handlers, ipcMain, node, unregister, invoke, onRefused };
}

function eventFrom(id: number, url: string | null, parent: unknown = null): SenderEvent {
  return { sender: { id }, senderFrame: url === null ? null : { url, parent } } as unknown as SenderEvent;
}

describe('registerContractIpc', () => {
  it('registers one handler per contract call and removes them all again', () => {
    const { handlers, unregister } = setup();
    expect([...handlers.keys()].sort()).toEqual(CALL_NAMES.map(callChannel).sort());
    unregister();
    expect(handlers.size).toBe(0);
  });

  it('runs calls from our window and validates their input', async () => {
    const { invoke, node } = setup();
    const ours = eventFrom(7, RENDERER);
    await expect(invoke(callChannel('pause'), ours, {})).resolves.toMatchObject({
      ok: true,
      output: { status: 'paused' },
    });
    expect(node.state.status.status).toBe('paused');
    await expect(invoke(callChannel('setRegion'), ours, { region: 'mars' })).resolves.toMatchObject({
      ok: false,
      error: { kind: 'invalid-input' },
    });
  });

  it.each([
    ['another webContents', eventFrom(8, RENDERER)],
    ['a page that navigated elsewhere', eventFrom(7, 'https://evil.example/index.html')],
    ['another local file', eventFrom(7, 'file:///tmp/evil.html')],
    ['a child frame of our window', eventFrom(7, RENDERER, { url: RENDERER })],
    ['a destroyed frame', eventFrom(7, null)],
  ])('refuses calls from %s without reaching the node', async (_who, event) => {
    const { invoke, node, onRefused } = setup();
    await expect(invoke(callChannel('pause'), event, {})).resolves.toEqual({
      ok: false,
      error: { kind: 'forbidden', message: 'This window may not talk to OpenGateway.' },
    });
    expect(node.state.status.status).toBe('ready');
    expect(onRefused).toHaveBeenCalledWith('pause', expect.any(String));
  });

  it('accepts the development server by origin', () => {
    const check = createSenderCheck({
      trustedWebContentsIds: () => new Set([1]),
      rendererUrl: 'http://localhost:5173/',
    });
    expect(check(eventFrom(1, 'http://localhost:5173/index.html'))).toBe(true);
    expect(check(eventFrom(1, 'http://localhost:5174/'))).toBe(false);
  });
});
