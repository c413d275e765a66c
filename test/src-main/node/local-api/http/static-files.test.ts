// The dashboard at `/` of the local API: a real ApiServer with a staticDir, over real HTTP.
import { request } from 'node:http';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApiServer } from '../../../../../src-main/node/local-api/http/api-server.ts';
import { DASHBOARD_CONTENT_SECURITY_POLICY } from '../../../../../src-shared/ipc/index.ts';

const KEY = 'k'.repeat(64);
let root: string;
let build: string;
let server: ApiServer;

function statusWithHost(path: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: server.port, path, headers: { host } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

async function serve(staticDir: string): Promise<void> {
  server = new ApiServer({
    apiKey: KEY,
    routes: new Map([['GET /api/status', () => ({ status: 200, body: { ok: true } })]]),
    staticDir,
  });
  await server.start();
}

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'og-static-'));
  build = join(root, 'renderer-web');
  await writeFile(join(root, 'outside.txt'), 'outside the build');
});

afterEach(async () => {
  await server?.stop();
  await rm(root, { recursive: true, force: true });
});

describe('the dashboard files of the local API', () => {
  it('serves index.html and assets without a key, with the dashboard CSP and types', async () => {
    await mkdir(join(build, 'assets'), { recursive: true });
    await writeFile(join(build, 'index.html'), '<!doctype html><title>OpenGateway</title>');
    await writeFile(join(build, 'assets', 'index-abc.js'), 'console.log(1)');
    await serve(build);
    const page = await fetch(`${server.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(page.headers.get('content-security-policy')).toBe(DASHBOARD_CONTENT_SECURITY_POLICY);
    expect(page.headers.get('cache-control')).toBe('no-store');
    const script = await fetch(`${server.url}/assets/index-abc.js`);
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toBe('console.log(1)');
    expect((await fetch(`${server.url}/api/status`)).status).toBe(401);
    expect((await fetch(`${server.url}/api/status`, { headers: { 'x-api-key': KEY } })).status).toBe(200);
    // fetch cannot set Host; a DNS-rebinding page would arrive with its own name there.
    expect(await statusWithHost('/', `evil.example:${server.port}`)).toBe(403);
  });

  it('refuses traversal, hidden files, folders and links that leave the build', async () => {
    await mkdir(join(build, 'assets'), { recursive: true });
    await writeFile(join(build, 'index.html'), '<!doctype html>');
    await writeFile(join(build, '.env'), 'secret');
    await symlink(join(root, 'outside.txt'), join(build, 'assets', 'link.txt'));
    await serve(build);
    for (const path of [
      '/..%2foutside.txt',
      '/assets/..%2f..%2foutside.txt',
      '/.env',
      '/assets',
      '/assets/link.txt',
      '/%00',
    ]) {
      const reply = await fetch(`${server.url}${path}`);
      expect(reply.status, path).toBe(404);
      const text = await reply.text();
      expect(text, path).not.toContain('outside the build');
      expect(text, path).not.toContain('secret');
    }
  });

  it('says clearly that the dashboard is not built', async () => {
    await serve(build);
    const reply = await fetch(`${server.url}/`);
    expect(reply.status).toBe(404);
    expect(reply.headers.get('content-security-policy')).toBe(DASHBOARD_CONTENT_SECURITY_POLICY);
    expect(await reply.text()).toContain('npm run build');
  });
});
