import { request } from 'node:http';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadOrCreateApiKey } from '../../../../../src-main/node/local-api/http/api-key.ts';
import { ApiServer, type ApiRoute } from '../../../../../src-main/node/local-api/http/api-server.ts';

const KEY = 'a'.repeat(64);
let server: ApiServer;
let upgraded: string[];

interface Reply {
  readonly status: number;
  readonly body: string;
}

function call(options: {
  path?: string;
  method?: string;
  headers?: Record<string, string>;
  body?: Buffer;
}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: '127.0.0.1',
        port: server.port,
        path: options.path ?? '/api/status',
        method: options.method ?? 'GET',
        headers: { authorization: `Bearer ${KEY}`, ...options.headers },
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

beforeEach(async () => {
  upgraded = [];
  const routes = new Map<string, ApiRoute>([
    ['GET /api/status', () => ({ status: 200, body: { ok: true } })],
    ['POST /api/echo', (req) => ({ status: 200, body: { bytes: req.body.byteLength } })],
  ]);
  server = new ApiServer(
    {
      apiKey: KEY,
      routes,
      upgrade: {
        path: '/api/ws',
        keyFromRequest: (req) => req.headers['sec-websocket-protocol'] ?? null,
        handleUpgrade: (req, socket) => {
          upgraded.push(req.url ?? '');
          socket.end('HTTP/1.1 101 Switching Protocols\r\n\r\n');
        },
      },
    },
    { maxBodyBytes: 1024 },
  );
  await server.start();
});

afterEach(async () => {
  await server.stop();
});

describe('local API server', () => {
  it('answers an authorised request on 127.0.0.1', async () => {
    const reply = await call({});
    expect(reply.status).toBe(200);
    expect(JSON.parse(reply.body)).toEqual({ ok: true });
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses a missing or wrong key with OpenAI’s error shape', async () => {
    const missing = await call({ headers: { authorization: '' } });
    expect(missing.status).toBe(401);
    expect(JSON.parse(missing.body)).toEqual({
      error: { message: 'missing or wrong API key', type: 'authentication_error' },
    });
    expect((await call({ headers: { authorization: `Bearer ${'b'.repeat(64)}` } })).status).toBe(401);
    expect((await call({ headers: { authorization: `Bearer ${KEY.slice(1)}` } })).status).toBe(401);
    expect((await call({ headers: { authorization: '', 'x-api-key': KEY } })).status).toBe(200);
  });

  it('refuses foreign Host headers (DNS rebinding) even with the right key', async () => {
    expect((await call({ headers: { host: `evil.example:${server.port}` } })).status).toBe(403);
    expect((await call({ headers: { host: `127.0.0.1:${server.port + 1}` } })).status).toBe(403);
    expect((await call({ headers: { host: `localhost:${server.port}` } })).status).toBe(200);
  });

  it('answers GET /healthz without a key, with liveness only; the Host check still applies', async () => {
    const alive = await call({ path: '/healthz', headers: { authorization: '' } });
    expect(alive.status).toBe(200);
    expect(JSON.parse(alive.body)).toEqual({ status: 'ok' });
    expect((await call({ path: '/healthz', headers: { host: `evil.example:${server.port}` } })).status).toBe(
      403,
    );
    expect((await call({ path: '/healthz', method: 'POST', headers: { authorization: '' } })).status).toBe(
      401,
    );
  });

  it('limits body size', async () => {
    expect(
      JSON.parse((await call({ method: 'POST', path: '/api/echo', body: Buffer.alloc(1024) })).body),
    ).toEqual({
      bytes: 1024,
    });
    const big = await call({ method: 'POST', path: '/api/echo', body: Buffer.alloc(1025) });
    expect(big.status).toBe(413);
  });

  it('says 404 for unknown paths and 405 for a wrong method, without CORS headers', async () => {
    expect((await call({ path: '/nope' })).status).toBe(404);
    expect((await call({ path: '/api/status', method: 'DELETE' })).status).toBe(405);
  });

  it('hands only authorised /api/ws upgrades to the WebSocket endpoint', async () => {
    const upgrade = (headers: Record<string, string>): Promise<string> =>
      new Promise((resolve, reject) => {
        const req = request({
          host: '127.0.0.1',
          port: server.port,
          path: '/api/ws',
          headers: { connection: 'Upgrade', upgrade: 'websocket', ...headers },
        });
        req.on('upgrade', (res) => resolve(String(res.statusCode)));
        req.on('response', (res) => resolve(String(res.statusCode)));
        req.on('error', reject);
        req.end();
      });
    expect(await upgrade({})).toBe('401');
    expect(await upgrade({ 'sec-websocket-protocol': KEY, host: `evil.example:${server.port}` })).toBe('403');
    expect(upgraded).toEqual([]);
    expect(await upgrade({ 'sec-websocket-protocol': KEY })).toBe('101');
    expect(upgraded).toEqual(['/api/ws']);
  });
});

describe('API key file', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'og-apikey-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is created once, 0600, and reused', async () => {
    const path = join(dir, 'api.key');
    const key = await loadOrCreateApiKey(path);
    expect(key).toMatch(/^[0-9a-f]{64}$/);
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await loadOrCreateApiKey(path)).toBe(key);
  });

  it('is never silently replaced when it is damaged', async () => {
    const path = join(dir, 'api.key');
    await writeFile(path, 'not a key');
    await expect(loadOrCreateApiKey(path)).rejects.toThrow(/not valid/);
  });
});
