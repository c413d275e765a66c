import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { modelsCommand } from '../../../../src-main/cli/commands/models.ts';
import { locationsFor } from '../../../../src-main/node/locations.ts';
import { initNetwork } from '../../../../src-main/node/network-config/init-network.ts';
import { ensureDataDir } from '../../../../src-main/node/storage/data-dir.ts';
import { DataDirLock } from '../../../../src-main/node/storage/data-dir-lock.ts';
import { ModelFileServer } from '../../node/models/model-file-server.ts';

let dir: string;
let server: ModelFileServer;
let configPath: string;
const bytes = randomBytes(300 * 1024);

function io() {
  const out: string[] = [];
  return { out, io: { stdout: (l: string) => out.push(l), stderr: (l: string) => out.push(l), env: {} } };
}

async function run(...args: string[]) {
  const { out, io: cliIo } = io();
  const code = await modelsCommand.run(
    [...args, '--data-dir', join(dir, 'node'), '--network-config', configPath],
    cliIo,
    new AbortController().signal,
  );
  return { code, out };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-cli-models-'));
  server = new ModelFileServer();
  const base = await server.start();
  server.serve('/tiny.gguf', bytes);
  const builtin = {
    format: 'gguf',
    id: 'tiny-cli-test',
    quantization: 'F32',
    contextLength: 128,
    memoryBytes: bytes.length * 2,
    files: [
      {
        name: 'tiny.gguf',
        urls: [`${base}/tiny.gguf`],
        sizeBytes: bytes.length,
        sha256: createHash('sha256').update(bytes).digest('hex'),
      },
    ],
  } as const;
  const network = await initNetwork({
    outDir: join(dir, 'network'),
    founders: 1,
    catalog: { tiers: { 'model-a': { engineModels: { exo: 'tiny', builtin } } } },
  });
  configPath = network.configPath;
});
afterEach(async () => {
  await server.stop();
  await rm(dir, { recursive: true, force: true });
});

describe('opengateway-node models', () => {
  it('lists the catalog per tier, pulls a model with progress, and removes it', async () => {
    const before = await run('list', '--json');
    const listed = JSON.parse(before.out[0]!) as {
      tiers: { tier: string; state: string; modelId: string }[];
    };
    expect(listed.tiers.map((t) => [t.tier, t.state, t.modelId])).toEqual([
      ['model-a', 'missing', 'tiny-cli-test'],
      ['model-b', 'missing', 'llama-3.1-8b-instruct-q8_0'],
      ['model-c', 'none', null],
      ['model-d', 'none', null],
    ]);

    const pulled = await run('pull', 'model-a', '--json');
    expect(pulled.code).toBe(0);
    const lines = pulled.out.map(
      (line) => JSON.parse(line) as { status?: string; ready?: boolean; path?: string },
    );
    expect(lines.some((line) => line.status === 'downloading')).toBe(true);
    const result = lines.at(-1)!;
    expect(result).toMatchObject({ ready: true, modelId: 'tiny-cli-test' });
    expect((await stat(result.path!)).size).toBe(bytes.length);

    const text = await run('list');
    expect(text.out.join('\n')).toMatch(/model-a {2}tiny-cli-test \(F32, 307 KB\) {2}ready/);
    expect(text.out.join('\n')).toMatch(/model-c {2}no built-in model/);

    await run('rm', 'model-a');
    await expect(stat(result.path!)).rejects.toThrow();
    const after = JSON.parse((await run('list', '--json')).out[0]!) as { tiers: { state: string }[] };
    expect(after.tiers[0]?.state).toBe('missing');

    // In text, pull says it uses the servers only: peers help a running node, not this command.
    const again = await run('pull', 'model-a');
    expect(again.out[0]).toMatch(/catalog’s servers only: region peers share models with a running node/);
    expect(again.out.at(-1)).toMatch(/model-a: tiny-cli-test ready at /);
  });

  it('refuses to write the cache while a node runs on the data folder', async () => {
    await ensureDataDir(join(dir, 'node'));
    const locations = locationsFor(join(dir, 'node'));
    const lock = DataDirLock.acquire(locations.instanceLock, locations.dataDir);
    try {
      await expect(run('pull', 'model-a')).rejects.toThrow(
        /a node is running on .*: it downloads the models/,
      );
      expect(server.requests).toEqual([]);
      expect((await run('list', '--json')).code).toBe(0);
    } finally {
      lock.release();
    }
  });

  it('refuses an unknown tier and a tier without a built-in model, in words', async () => {
    await expect(run('pull', 'model-z')).rejects.toThrow(/unknown tier "model-z"/);
    await expect(run('pull', 'model-c')).rejects.toThrow(/no built-in model for model-c/);
    await expect(run('fetch')).rejects.toThrow(/unknown models subcommand/);
  });
});
