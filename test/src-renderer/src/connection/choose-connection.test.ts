import { describe, expect, it, vi } from 'vitest';
import {
  acceptableWsUrl,
  chooseConnection,
  KEY_STORAGE,
  type PageContext,
} from '../../../../src-renderer/src/connection/choose-connection.ts';

function page(hash: string, stored: Record<string, string> = {}, globalObject: object = {}) {
  const storage = new Map(Object.entries(stored));
  const replaceUrl = vi.fn();
  const context: PageContext = {
    location: { protocol: 'http:', host: '127.0.0.1:8844', hash, pathname: '/', search: '' },
    storage: {
      getItem: (key) => storage.get(key) ?? null,
      setItem: (key, value) => void storage.set(key, value),
      removeItem: (key) => void storage.delete(key),
    },
    replaceUrl,
    globalObject,
  };
  return { context, storage, replaceUrl };
}

describe('chooseConnection', () => {
  it('uses the preload api inside the desktop app', () => {
    const api = { call: () => Promise.resolve(null), subscribe: () => () => {} };
    expect(chooseConnection(page('', {}, { api }).context)).toEqual({ kind: 'electron', transport: api });
  });

  it('takes the key from the link, stores it for this tab and removes it from the address bar', () => {
    const { context, storage, replaceUrl } = page('#key=abc123');
    expect(chooseConnection(context)).toEqual({
      kind: 'websocket',
      url: 'ws://127.0.0.1:8844/api/ws',
      apiKey: 'abc123',
    });
    expect(storage.get(KEY_STORAGE)).toBe('abc123');
    expect(replaceUrl).toHaveBeenCalledWith('/');
  });

  it('asks for a key when it has none', () => {
    expect(chooseConnection(page('').context)).toEqual({
      kind: 'needs-key',
      url: 'ws://127.0.0.1:8844/api/ws',
    });
  });

  it('accepts another local port from the link but never another computer', () => {
    expect(chooseConnection(page('#key=k&ws=ws://127.0.0.1:4174/api/ws').context)).toMatchObject({
      url: 'ws://127.0.0.1:4174/api/ws',
    });
    expect(chooseConnection(page('#key=k&ws=wss://evil.example/api/ws').context)).toMatchObject({
      url: 'ws://127.0.0.1:8844/api/ws',
    });
    expect(acceptableWsUrl('ws://localhost:1/api/ws')).toBe('ws://localhost:1/api/ws');
    expect(acceptableWsUrl('http://127.0.0.1:1/')).toBeNull();
    expect(acceptableWsUrl('ws://127.0.0.1.evil.example/')).toBeNull();
    expect(acceptableWsUrl('not a url')).toBeNull();
  });

  it('finding 23: a link naming another local port without a key cannot collect the key the user pastes', () => {
    // The attack: a link to the node's dashboard that points /api/ws at a listener on another local port.
    const { context, storage } = page('#ws=ws://127.0.0.1:6666/api/ws');
    expect(chooseConnection(context)).toEqual({ kind: 'needs-key', url: 'ws://127.0.0.1:8844/api/ws' });
    // The user pastes the key (the session stores it) and connects: still to the page's own node.
    storage.set(KEY_STORAGE, 'pasted-key');
    expect(chooseConnection(context)).toEqual({
      kind: 'websocket',
      url: 'ws://127.0.0.1:8844/api/ws',
      apiKey: 'pasted-key',
    });
    // The same holds in a tab where an earlier link stored another port: without its key, the port is gone.
    const earlier = page('', { 'opengateway.wsUrl': 'ws://127.0.0.1:4174/api/ws' });
    expect(chooseConnection(earlier.context)).toEqual({
      kind: 'needs-key',
      url: 'ws://127.0.0.1:8844/api/ws',
    });
    earlier.storage.set(KEY_STORAGE, 'pasted-key');
    expect(chooseConnection(earlier.context)).toMatchObject({ url: 'ws://127.0.0.1:8844/api/ws' });
  });
});
