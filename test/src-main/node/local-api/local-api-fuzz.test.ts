// Fuzzing the local API's raw HTTP (issue 18): random request lines, headers, upgrades and bodies cut at random
// points, sent over real sockets to a real node process. The node must never die and must keep answering.
// The budget is bounded for `npm test`; LOCAL_API_FUZZ_INPUTS raises it for a nightly run, and
// LOCAL_API_FUZZ_SEED replays a failure (the seed in use is printed in the test's name).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawExchange, startServedNodeProcess, type ServedNodeProcess } from './served-node-process.ts';

const INPUTS = Number(process.env.LOCAL_API_FUZZ_INPUTS ?? 300);
const SEED = Number(process.env.LOCAL_API_FUZZ_SEED ?? Date.now() % 2 ** 31);
const PARALLEL = 8;

let node: ServedNodeProcess;

beforeAll(async () => {
  node = await startServedNodeProcess('og-api-fuzz-');
}, 90_000);

afterAll(async () => {
  await node?.stop();
});

/** mulberry32: small, seeded, good enough to spread inputs. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Random = ReturnType<typeof prng>;
const pick = <T>(random: Random, items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
const int = (random: Random, max: number): number => Math.floor(random() * max);

function garbage(random: Random, length: number): string {
  let text = '';
  for (let i = 0; i < length; i += 1) text += String.fromCharCode(int(random, 256));
  return text;
}

function requestInput(random: Random, port: number, key: string): string {
  const method = pick(random, [
    'GET',
    'POST',
    'PUT',
    'HEAD',
    'OPTIONS',
    'CONNECT',
    'G\x00T',
    '',
    garbage(random, 5),
  ]);
  const target = pick(random, [
    '/api/status',
    '/api/ws',
    '/api/ledger?limit=' + garbage(random, 3),
    '/v1/chat/completions',
    '/v1/models',
    '/',
    '/index.html',
    '/..%2f..%2fetc/passwd',
    '*',
    'http://[',
    'http://[::1',
    `http://127.0.0.1:${port}/api/status`,
    'http://evil.example/api/status',
    '//evil.example/api/ws',
    '%',
    '/' + 'a'.repeat(int(random, 20_000)),
    garbage(random, int(random, 40)),
  ]);
  const version = pick(random, ['HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1', 'HTTP/9', '']);
  const headers: string[] = [];
  const add = (line: string): void => void (random() < 0.8 && headers.push(line));
  add(
    `Host: ${pick(random, [`127.0.0.1:${port}`, `localhost:${port}`, 'evil.example', `[::1]:${port}`, '', garbage(random, 8)])}`,
  );
  add(
    `Authorization: ${pick(random, [`Bearer ${key}`, `bearer ${key}`, 'Bearer nope', 'Basic x', garbage(random, 10)])}`,
  );
  if (random() < 0.4)
    headers.push('Connection: Upgrade', `Upgrade: ${pick(random, ['websocket', 'h2c', garbage(random, 4)])}`);
  if (random() < 0.3)
    headers.push('Sec-WebSocket-Version: 13', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==');
  if (random() < 0.3) headers.push(`Sec-WebSocket-Protocol: opengateway.v1, key.${pick(random, [key, 'x'])}`);
  if (random() < 0.3)
    headers.push(
      `Origin: ${pick(random, [`http://127.0.0.1:${port}`, 'null', 'http://evil.example', garbage(random, 6)])}`,
    );
  const body = pick(random, [
    '',
    '{"model":"auto","messages":[{"role":"user","content":"hi"}],"max_tokens":2}',
    '{"model":"auto","messages":' + '['.repeat(int(random, 3000)),
    '{"model":' + garbage(random, 50),
    garbage(random, int(random, 4000)),
  ]);
  const framing = random();
  if (framing < 0.5)
    headers.push(
      `Content-Length: ${pick(random, [String(body.length), String(body.length + int(random, 500)), '-1', '99999999999', 'abc'])}`,
    );
  else if (framing < 0.75) headers.push('Transfer-Encoding: chunked');
  for (let i = int(random, 4); i > 0; i -= 1)
    headers.push(`${garbage(random, 1 + int(random, 10))}: ${garbage(random, int(random, 30))}`);
  if (random() < 0.02) headers.push(`X-Big: ${'b'.repeat(20_000)}`);
  const chunked =
    headers.includes('Transfer-Encoding: chunked') && random() < 0.7
      ? `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`
      : body;
  return `${method} ${target} ${version}\r\n${headers.join('\r\n')}\r\n\r\n${chunked}`;
}

describe(`fuzzing the local API's raw HTTP (${INPUTS} inputs, seed ${SEED})`, { timeout: 600_000 }, () => {
  it('never kills the node, which keeps answering', async () => {
    const random = prng(SEED);
    for (let sent = 0; sent < INPUTS; sent += PARALLEL) {
      const batch = [];
      for (let i = 0; i < PARALLEL && sent + i < INPUTS; i += 1) {
        const input = Buffer.from(requestInput(random, node.port, node.key), 'latin1');
        // Cut at a random point (or not at all), sent in one or several writes, then hang up or wait.
        const cut = random() < 0.5 ? input.subarray(0, int(random, input.length + 1)) : input;
        const split = int(random, cut.length + 1);
        const chunks = random() < 0.5 ? [cut] : [cut.subarray(0, split), cut.subarray(split)];
        batch.push(rawExchange(node.port, chunks, { hangUp: random() < 0.4, waitMs: 300 }));
      }
      await Promise.all(batch);
      expect(node.alive(), `node died after input ${sent} (seed ${SEED})`).toBe(true);
    }
    expect(await node.status()).toBe(200);
    expect(node.process.stdout + node.process.stderr).not.toMatch(/bug: /);
  });
});
