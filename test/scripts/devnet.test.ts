import { readdir, readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { dirname, join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDevnetProcess, type DevnetNode, type DevnetProcess } from './devnet-process.ts';

let devnet: DevnetProcess;
let nodes: readonly DevnetNode[];

beforeAll(async () => {
  devnet = await startDevnetProcess([
    '--engine',
    'exo-double',
    '--nodes',
    '3',
    '--regions',
    'asia,europe',
    '--token-rate',
    '200',
  ]);
  nodes = devnet.nodes;
}, 120_000);

afterAll(() => devnet.stop());

const worker = (region: string) => nodes.find((node) => node.role === 'worker' && node.region === region)!;

describe('npm run devnet', () => {
  it('prints every node with its region, API and dashboard', () => {
    expect(nodes.map((node) => [node.role, node.region])).toEqual([
      ['bootstrap', 'asia'],
      ['worker', 'asia'],
      ['worker', 'europe'],
      ['worker', 'asia'],
    ]);
    for (const node of nodes) {
      expect(node.peerId).toMatch(/^12D3KooW/);
      expect(node.apiUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(node.dashboardUrl).toBe(`${node.apiUrl}/#key=${node.apiKey}`);
    }
    expect(devnet.stderr()).toContain('SIMULATED engine');
  });

  it('serves an OpenAI client from a node’s local API, with usage, only from the node’s own region', async () => {
    const asia = worker('asia');
    const client = new OpenAI({ apiKey: asia.apiKey, baseURL: `${asia.apiUrl}/v1`, maxRetries: 0 });
    const models = await client.models.list();
    expect(models.data[0]).toMatchObject({ tier: 'model-a', members: 2 });
    const stream = await client.chat.completions.create({
      model: 'auto',
      messages: [{ role: 'user', content: 'Hello devnet' }],
      max_tokens: 12,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let completion = 0;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) completion = chunk.usage.completion_tokens;
    }
    expect(text.length).toBeGreaterThan(0);
    expect(completion).toBe(12);
    // The europe node's cluster view holds only europe members: asia's requests can never reach it.
    const europe = worker('europe');
    const status = (await (
      await fetch(`${europe.apiUrl}/api/status`, { headers: { authorization: `Bearer ${europe.apiKey}` } })
    ).json()) as { clusters: Array<{ key: string; members: Array<{ peerId: string }> }> };
    expect(status.clusters.every((cluster) => cluster.key.startsWith('europe/'))).toBe(true);
    expect(status.clusters.flatMap((cluster) => cluster.members.map((member) => member.peerId))).toEqual([
      europe.peerId,
    ]);
  });

  it('refuses a wrong key and a foreign Host header', async () => {
    const node = worker('asia');
    const wrong = new OpenAI({ apiKey: 'wrong', baseURL: `${node.apiUrl}/v1`, maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const port = Number(new URL(node.apiUrl).port);
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/v1/models',
          headers: { host: 'attacker.example', authorization: `Bearer ${node.apiKey}` },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
  });

  it('stops on Ctrl-C and leaves no process behind', async () => {
    const root = dirname(nodes[0]!.dataDir);
    const exited = new Promise<number | null>((resolve) => devnet.child.once('exit', resolve));
    devnet.child.kill('SIGINT');
    expect(await exited).toBe(0);
    const survivors: string[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const cmdline = await readFile(join('/proc', entry, 'cmdline'), 'utf8').catch(() => '');
      if (cmdline.includes(root)) survivors.push(cmdline.replaceAll('\0', ' '));
    }
    expect(survivors).toEqual([]);
  }, 60_000);
});
