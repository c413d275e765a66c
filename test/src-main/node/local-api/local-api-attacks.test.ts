// Attacks on a real node's local API over real sockets (security findings 2, 3, 24, 25, 26 of
// ../shared/ref/security-findings.md): each one is performed against `opengateway-node start` in its own
// process, and after each the process still runs and still answers an authorised request.
import { chmod, readFile, stat } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NodeProcess } from '../../cli/commands/node-process.ts';
import { rawExchange, startServedNodeProcess, type ServedNodeProcess } from './served-node-process.ts';

let node: ServedNodeProcess;

beforeAll(async () => {
  node = await startServedNodeProcess('og-api-attacks-');
}, 90_000);

afterAll(async () => {
  await node?.stop();
});

async function survives(): Promise<void> {
  expect(node.alive()).toBe(true);
  expect(await node.status()).toBe(200);
}

function host(): string {
  return `127.0.0.1:${node.port}`;
}

describe('attacks on the local API of a running node', { timeout: 60_000 }, () => {
  it('finding 2: an upgrade whose target is not a URL is refused before the key check, and the node lives', async () => {
    for (const target of ['http://[', 'http://[::1', '//[', 'ws://%zz/']) {
      const { reply } = await rawExchange(node.port, [
        `GET ${target} HTTP/1.1\r\nHost: ${host()}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n`,
      ]);
      expect(reply, target).toMatch(/^HTTP\/1\.1 400 /);
    }
    await survives();
  });

  it('finding 3: a client that hangs up mid-body, or sends a broken chunked body, does not kill the node', async () => {
    const head = (length: string) =>
      `POST /v1/chat/completions HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${node.key}\r\nContent-Type: application/json\r\n${length}\r\n`;
    for (let round = 0; round < 5; round += 1) {
      await rawExchange(node.port, [head('Content-Length: 1000\r\n'), '{"model":"au'], { hangUp: true });
      await rawExchange(node.port, [head('Transfer-Encoding: chunked\r\n'), '5\r\n{"mod\r\n'], {
        hangUp: true,
      });
      // A chunked body that is not chunked at all: the parser fails mid-body.
      await rawExchange(node.port, [head('Transfer-Encoding: chunked\r\n'), 'zz\r\nnot a chunk\r\n\r\n']);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    await survives();
  });

  it('finding 25: deeply nested JSON is a 400 that says why, not a 500', async () => {
    const depth = 6000;
    const parameters = `${'['.repeat(depth)}${']'.repeat(depth)}`;
    const body = `{"model":"auto","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object","x":${parameters}}}}]}`;
    const reply = await fetch(`http://${host()}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${node.key}`, 'content-type': 'application/json' },
      body,
    });
    expect(reply.status).toBe(400);
    expect(((await reply.json()) as { error: { message: string } }).error.message).toMatch(/nests more than/);
    await survives();
  });

  it('finding 26: foreign Origins, foreign absolute-form targets and DNS-rebinding hosts are refused', async () => {
    const auth = { authorization: `Bearer ${node.key}` };
    const evil = await fetch(`http://${host()}/api/status`, {
      headers: { ...auth, origin: 'http://evil.example' },
    });
    expect(evil.status).toBe(403);
    // A page of this very node (its dashboard) may call; so may a program that sends no Origin.
    const own = await fetch(`http://${host()}/api/status`, {
      headers: { ...auth, origin: `http://${host()}` },
    });
    expect(own.status).toBe(200);
    const nullOrigin = await fetch(`http://${host()}/api/status`, { headers: { ...auth, origin: 'null' } });
    expect(nullOrigin.status).toBe(403);

    const absolute = await rawExchange(node.port, [
      `GET http://evil.example/api/status HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${node.key}\r\nConnection: close\r\n\r\n`,
    ]);
    expect(absolute.reply).toMatch(/^HTTP\/1\.1 400 /);
    const absoluteOwn = await rawExchange(node.port, [
      `GET http://${host()}/api/status HTTP/1.1\r\nHost: ${host()}\r\nAuthorization: Bearer ${node.key}\r\nConnection: close\r\n\r\n`,
    ]);
    expect(absoluteOwn.reply).toMatch(/^HTTP\/1\.1 200 /);

    const wsFromEvil = await rawExchange(node.port, [
      `GET /api/ws HTTP/1.1\r\nHost: ${host()}\r\nOrigin: http://evil.example\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Protocol: opengateway.v1, key.${node.key}\r\n\r\n`,
    ]);
    expect(wsFromEvil.reply).toMatch(/^HTTP\/1\.1 403 /);

    // fetch() never lets a caller set Host: a raw request shows what a rebound browser page would send.
    const rebinding = await rawExchange(node.port, [
      `GET /api/status HTTP/1.1\r\nHost: attacker.example:${node.port}\r\nAuthorization: Bearer ${node.key}\r\nConnection: close\r\n\r\n`,
    ]);
    expect(rebinding.reply).toMatch(/^HTTP\/1\.1 403 /);
    // The scheme of a bearer token is case-insensitive (RFC 7235): `bearer` works like `Bearer`.
    const lower = await fetch(`http://${host()}/api/status`, {
      headers: { authorization: `bearer ${node.key}` },
    });
    expect(lower.status).toBe(200);
    await survives();
  });

  it('finding 24: a second node on the same data directory is refused by the lock and touches nothing', async () => {
    const endpoint = await readFile(`${node.dataDir}/api.json`, 'utf8');
    const second = new NodeProcess(['--data-dir', node.dataDir, '--listen', '/ip4/127.0.0.1/tcp/0']);
    expect(await second.exited).not.toBe(0);
    expect(second.stderr).toMatch(/already running for data directory/);
    expect(await readFile(`${node.dataDir}/api.json`, 'utf8')).toBe(endpoint);
    await survives();
  });
});

describe('finding 27: key files are private again after every start', { timeout: 90_000 }, () => {
  it('puts the API key back to 0600 when someone loosened it', async () => {
    const other = await startServedNodeProcess('og-api-keymode-');
    const keyPath = `${other.dataDir}/api.key`;
    const identityPath = `${other.dataDir}/identity.key`;
    await other.process.interrupt();
    await chmod(keyPath, 0o644);
    await chmod(identityPath, 0o644);
    await chmod(other.dataDir, 0o755);
    const again = new NodeProcess([
      '--data-dir',
      other.dataDir,
      '--listen',
      '/ip4/127.0.0.1/tcp/0',
      '--region',
      'europe',
    ]);
    try {
      await again.waitForOutput(/^(ready|status): /m);
      expect((await stat(keyPath)).mode & 0o777).toBe(0o600);
      expect((await stat(identityPath)).mode & 0o777).toBe(0o600);
      expect((await stat(other.dataDir)).mode & 0o777).toBe(0o700);
    } finally {
      await again.interrupt();
      await other.stop();
    }
  });
});
