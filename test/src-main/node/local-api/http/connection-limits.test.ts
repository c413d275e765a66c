// Security finding 18 over real sockets: the local API caps its connections, closes clients that send their
// headers too slowly, caps dashboards on /api/ws and drops WebSocket clients that stop answering pings. Each
// test then shows the server still answers an ordinary request. The limits are lowered so the tests are short.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createInMemoryNode, type InMemoryNode } from '../../../../../e2e/fixture/in-memory-node.ts';
import { ApiServer, type ApiServerInit } from '../../../../../src-main/node/local-api/http/api-server.ts';
import {
  createContractWsEndpoint,
  type ContractWsEndpoint,
} from '../../../../../src-main/node/local-api/ws/contract-ws-endpoint.ts';
import { wsProtocolsFor, WS_SUBPROTOCOL } from '../../../../../src-shared/ipc/index.ts';

const KEY = 'b'.repeat(64);
let server: ApiServer;
let endpoint: ContractWsEndpoint;
let node: InMemoryNode;
const sockets: Socket[] = [];

async function start(init: ApiServerInit, ws: { maxConnections?: number; pingIntervalMs?: number } = {}) {
  node = createInMemoryNode();
  endpoint = createContractWsEndpoint({ handlers: node.handlers, notifications: node.hub, ...ws });
  server = new ApiServer(
    {
      apiKey: KEY,
      routes: new Map([['GET /api/status', () => ({ status: 200, body: { ok: true } })]]),
      upgrade: endpoint,
    },
    init,
  );
  await server.start();
}

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await endpoint.close();
  await server.stop();
  node.stop();
});

function open(): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port: server.port }, () => resolve(socket));
    socket.on('error', reject);
    sockets.push(socket);
  });
}

function closedByServer(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve();
    socket.once('close', () => resolve());
    socket.once('end', () => resolve());
  });
}

async function answers(): Promise<number> {
  const reply = await fetch(`${server.url}/api/status`, { headers: { authorization: `Bearer ${KEY}` } });
  await reply.arrayBuffer();
  return reply.status;
}

describe('connection limits of the local API', { timeout: 20_000 }, () => {
  it('closes a client that never finishes its headers (slow loris), and keeps answering', async () => {
    await start({ headersTimeoutMs: 300, requestTimeoutMs: 600, checkIntervalMs: 100 });
    const slow = await open();
    slow.write(`GET /api/status HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nX-Slow: a`);
    const trickle = setInterval(() => slow.writable && slow.write('a'), 50);
    await closedByServer(slow);
    clearInterval(trickle);
    expect(await answers()).toBe(200);
  });

  it('refuses connections beyond its cap, and serves again once they go', async () => {
    await start({ maxConnections: 4 });
    const held = await Promise.all([open(), open(), open(), open()]);
    // The fifth is accepted by the kernel and closed by the server at once.
    const extra = await open();
    await closedByServer(extra);
    expect(await server.connectionCount()).toBe(4);
    for (const socket of held) socket.destroy();
    await expect.poll(() => server.connectionCount()).toBe(0);
    expect(await answers()).toBe(200);
  });

  it('caps dashboards on /api/ws with 503, and drops a client that stops answering pings', async () => {
    await start({}, { maxConnections: 2, pingIntervalMs: 100 });
    const url = `ws://127.0.0.1:${server.port}/api/ws`;
    const dashboards = await Promise.all(
      [1, 2].map(
        () =>
          new Promise<WebSocket>((resolve, reject) => {
            const socket = new WebSocket(url, wsProtocolsFor(KEY));
            socket.once('open', () => resolve(socket));
            socket.once('error', reject);
          }),
      ),
    );
    const third = await new Promise<number>((resolve) => {
      const socket = new WebSocket(url, wsProtocolsFor(KEY));
      socket.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.once('open', () => resolve(101));
      socket.once('error', () => {});
    });
    expect(third).toBe(503);
    for (const socket of dashboards) socket.close();
    await expect.poll(() => endpoint.connectionCount).toBe(0);

    // A raw client completes the handshake and then never reads or answers a ping: it is dropped.
    const mute = await open();
    mute.write(
      `GET /api/ws HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
        `Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n` +
        `Sec-WebSocket-Protocol: ${wsProtocolsFor(KEY).join(', ')}\r\n\r\n`,
    );
    let handshake = '';
    mute.setEncoding('latin1').on('data', (data: string) => (handshake += data));
    await expect.poll(() => handshake).toMatch(new RegExp(`^HTTP/1.1 101[\\s\\S]*${WS_SUBPROTOCOL}`));
    await expect.poll(() => endpoint.connectionCount).toBe(1);
    await closedByServer(mute);
    await expect.poll(() => endpoint.connectionCount).toBe(0);
    expect(await answers()).toBe(200);
  });
});
