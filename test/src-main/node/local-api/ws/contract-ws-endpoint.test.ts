import type { IncomingMessage } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  createInMemoryNode,
  FIXTURE_REPLY,
  type InMemoryNode,
} from '../../../../../e2e/fixture/in-memory-node.ts';
import { startFixtureServer, type FixtureServer } from '../../../../../e2e/fixture/fixture-server.ts';
import {
  ContractCallError,
  createContractClient,
  WS_SUBPROTOCOL,
  wsProtocolsFor,
  type ChatEvent,
  type ContractClient,
} from '../../../../../src-shared/ipc/index.ts';
import {
  createWebSocketTransport,
  type ConnectionState,
  type WebSocketTransport,
} from '../../../../../src-renderer/src/transport/websocket-transport.ts';

const KEY = 'k3y-for-tests-only';
let node: InMemoryNode;
let server: FixtureServer;
const transports: WebSocketTransport[] = [];

async function connect(key = KEY): Promise<{ client: ContractClient; states: ConnectionState[] }> {
  const states: ConnectionState[] = [];
  let opened!: () => void;
  const open = new Promise<void>((resolve) => (opened = resolve));
  const transport = createWebSocketTransport({
    url: server.wsUrl,
    apiKey: key,
    minRetryMs: 60_000,
    onStateChange: (state) => {
      states.push(state);
      if (state.state === 'open' || state.state === 'closed') opened();
    },
  });
  transports.push(transport);
  await open;
  return { client: createContractClient(transport), states };
}

/** A raw `ws` client, for sending what a well-behaved client never would. */
async function rawSocket(): Promise<WebSocket> {
  const socket = new WebSocket(server.wsUrl, wsProtocolsFor(KEY));
  await new Promise((resolve, reject) => {
    socket.once('open', resolve);
    socket.once('error', reject);
  });
  return socket;
}

function closed(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => socket.once('close', (code) => resolve(code)));
}

async function setup(options: Parameters<typeof createInMemoryNode>[0] = {}): Promise<void> {
  node = createInMemoryNode({ chunkDelayMs: 1, ...options });
  server = await startFixtureServer({ handlers: node.handlers, notifications: node.hub, apiKey: KEY });
}

afterEach(async () => {
  for (const transport of transports.splice(0)) transport.stop();
  node.stop();
  await server.close();
});

describe('the contract over /api/ws', () => {
  it('round-trips typed calls and notifications between the renderer client and the node', async () => {
    await setup();
    const { client } = await connect();
    await expect(client.call('getRegion')).resolves.toMatchObject({ region: 'asia', source: 'peers' });

    const statuses: string[] = [];
    client.subscribe((notification) => {
      if (notification.name === 'status') statuses.push(notification.payload.status);
    });
    await expect(client.call('pause', {})).resolves.toMatchObject({ status: 'paused', reason: 'user' });
    await expect(client.call('getClusters')).resolves.toEqual(
      expect.arrayContaining([expect.objectContaining({ membership: 'left' })]),
    );
    await client.call('resume');
    expect(statuses).toEqual(['paused', 'ready']);
  });

  it('streams a chat reply as notifications and lowers the balance by its cost', async () => {
    await setup();
    const { client } = await connect();
    const before = await client.call('getBalance');
    const events: ChatEvent[] = [];
    const done = new Promise<void>((resolve) =>
      client.subscribe((notification) => {
        if (notification.name !== 'chat') return;
        events.push(notification.payload);
        if (notification.payload.type === 'done' || notification.payload.type === 'failed') resolve();
      }),
    );
    await client.call('sendChat', {
      requestId: 'req-00000001',
      model: 'model-a-simulated',
      messages: [{ role: 'user', content: 'Hello there' }],
      maxTokens: 200,
    });
    await done;
    const text = events.flatMap((event) => (event.type === 'delta' ? [event.text] : [])).join('');
    expect(text).toBe(FIXTURE_REPLY);
    const last = events.at(-1);
    expect(last?.type).toBe('done');
    const after = await client.call('getBalance');
    expect(last?.type === 'done' && before!.available - after!.available).toBe(
      last?.type === 'done' && last.cost,
    );
  });

  it('answers invalid input with invalid-input and never calls the handler', async () => {
    await setup();
    const { client } = await connect();
    const call = client.call('setRegion', { region: 'atlantis' as never });
    await expect(call).rejects.toBeInstanceOf(ContractCallError);
    await expect(call).rejects.toMatchObject({ kind: 'invalid-input' });
    expect(node.state.region.region).toBe('asia');
  });

  it('refuses unknown calls', async () => {
    await setup();
    const socket = await rawSocket();
    const reply = new Promise<unknown>((resolve) =>
      socket.once('message', (data) => resolve(JSON.parse((data as Buffer).toString('utf8')))),
    );
    socket.send(JSON.stringify({ t: 'call', id: 7, name: 'wipeLedger', input: null }));
    expect(await reply).toEqual({
      t: 'result',
      id: 7,
      result: { ok: false, error: { kind: 'unknown-call', message: 'There is no call named "wipeLedger".' } },
    });
    socket.close();
  });

  it.each([
    ['not JSON', 'hello', 1007],
    ['a frame of the wrong type', JSON.stringify({ t: 'notify', name: 'status', payload: {} }), 1007],
    [
      'a frame with extra fields',
      JSON.stringify({ t: 'call', id: 1, name: 'getStatus', input: null, x: 1 }),
      1007,
    ],
    [
      'a frame with a negative id',
      JSON.stringify({ t: 'call', id: -1, name: 'getStatus', input: null }),
      1007,
    ],
    [
      'a frame over 1 MiB',
      JSON.stringify({ t: 'call', id: 1, name: 'x', input: 'a'.repeat(1_100_000) }),
      1009,
    ],
  ])('closes the connection on %s', async (_what, frame, code) => {
    await setup();
    const socket = await rawSocket();
    const closing = closed(socket);
    socket.send(frame);
    expect(await closing).toBe(code);
    await expect.poll(() => server.endpoint.connectionCount).toBe(0);
  });

  it('closes on binary frames', async () => {
    await setup();
    const socket = await rawSocket();
    const closing = closed(socket);
    socket.send(Buffer.from([1, 2, 3]));
    expect(await closing).toBe(1003);
  });

  it('does not accept a connection without the right key or subprotocol', async () => {
    await setup();
    const { states } = await connect('wrong-key');
    expect(states.at(-1)).toMatchObject({ state: 'closed' });
    const noProtocol = new WebSocket(server.wsUrl, [WS_SUBPROTOCOL]);
    await expect(
      new Promise((resolve, reject) => {
        noProtocol.once('open', resolve);
        noProtocol.once('error', reject);
      }),
    ).rejects.toThrow('401');
    expect(server.endpoint.connectionCount).toBe(0);
  });

  it('fails calls at once when disconnected, and stops pushing to a closed connection', async () => {
    await setup();
    const { client } = await connect();
    expect(server.endpoint.connectionCount).toBe(1);
    transports[0]?.stop();
    await expect(client.call('getStatus')).rejects.toMatchObject({ kind: 'disconnected' });
    await expect.poll(() => server.endpoint.connectionCount).toBe(0);
    // Publishing with nobody listening must not throw.
    node.hub.publish('status', { status: 'error', message: 'test' });
  });
});

describe('reconnecting', () => {
  it('reconnects after the node restarts and works again', async () => {
    await setup();
    const port = server.port;
    const states: ConnectionState['state'][] = [];
    const transport = createWebSocketTransport({
      url: server.wsUrl,
      apiKey: KEY,
      minRetryMs: 20,
      maxRetryMs: 100,
      onStateChange: (state) => states.push(state.state),
    });
    transports.push(transport);
    const client = createContractClient(transport);
    await expect.poll(() => states.at(-1)).toBe('open');
    await server.close();
    await expect.poll(() => states.includes('closed')).toBe(true);
    await expect(client.call('getStatus')).rejects.toMatchObject({ kind: 'disconnected' });

    server = await startFixtureServer({
      handlers: node.handlers,
      notifications: node.hub,
      apiKey: KEY,
      port,
    });
    await expect.poll(() => states.at(-1), { timeout: 10_000 }).toBe('open');
    await expect(client.call('getStatus')).resolves.toMatchObject({ status: 'ready' });
  });
});

describe('the endpoint as the API server upgrade handler', () => {
  it('serves its path and reads the key from the offered subprotocols only', async () => {
    await setup();
    const endpoint = server.endpoint;
    expect(endpoint.path).toBe('/api/ws');
    const request = (protocols?: string) =>
      ({
        headers: protocols === undefined ? {} : { 'sec-websocket-protocol': protocols },
      }) as IncomingMessage;
    expect(endpoint.keyFromRequest(request(`opengateway.v1, key.${KEY}`))).toBe(KEY);
    expect(endpoint.keyFromRequest(request(`key.${KEY}`))).toBeNull();
    expect(endpoint.keyFromRequest(request())).toBeNull();
  });
});
