// `opengateway-node engine status --engine builtin` as a user runs it (a child process): the backend llama.cpp
// loads with here (cpu) and the model files in the cache with their hashes, ready or not.
import { copyFile, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BuiltinProbeReport } from '../../../../../src-main/node/engine/builtin/builtin-probe.ts';
import { locationsFor } from '../../../../../src-main/node/locations.ts';
import { ModelCache } from '../../../../../src-main/node/models/model-cache.ts';
import type { GgufModel } from '../../../../../src-shared/network-config/index.ts';
import { generateTestModelFile } from '../../../../model-gen/test-model-file.ts';
import { runCliProcess } from '../../../cli/run-cli-process.ts';

let dir = '';
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'og-builtin-status-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function catalogEntry(id: string, sha256: string, sizeBytes: number): GgufModel {
  return {
    format: 'gguf',
    id,
    quantization: 'F32',
    contextLength: 2048,
    memoryBytes: sizeBytes * 2,
    files: [{ name: `${id}.gguf`, urls: ['http://127.0.0.1:9/none'], sizeBytes, sha256 }],
  };
}

describe('opengateway-node engine status --engine builtin', () => {
  it('reports the cpu backend and each cached model file with its hash, ready or not', async () => {
    const dataDir = join(dir, 'node');
    const cache = new ModelCache(locationsFor(dataDir).modelsDir);
    const file = await generateTestModelFile(dir, 'tiny');
    const size = (await stat(file.path)).size;
    const ready = catalogEntry('og-test-tiny', file.sha256, size);
    await cache.ensureDir(ready);
    await copyFile(file.path, cache.filePath(ready));
    await cache.markReady(ready);
    // Verified once, then its file was deleted behind the node's back.
    const gone = catalogEntry('gone-model', 'ab'.repeat(32), 1234);
    await mkdir(cache.modelDir(gone), { recursive: true });
    await cache.markReady(gone);

    const result = await runCliProcess([
      'engine',
      'status',
      '--engine',
      'builtin',
      '--json',
      '--data-dir',
      dataDir,
    ]);
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as BuiltinProbeReport;
    expect(report.engine).toBe('builtin');
    expect(report.backend).toBe('cpu');
    expect(report.nodeLlamaCpp).toBe('3.21.1');
    expect(report.threads).toBeGreaterThanOrEqual(1);
    const byId = Object.fromEntries(report.models.map((model) => [model.id, model]));
    expect(byId['og-test-tiny']).toMatchObject({
      ready: true,
      files: [{ sha256: file.sha256, sizeBytes: size, present: true, path: cache.filePath(ready) }],
    });
    expect(byId['gone-model']).toMatchObject({ ready: false, files: [{ present: false }] });
    expect(report.problems.some((problem) => problem.startsWith('gone-model:'))).toBe(true);

    const text = await runCliProcess(['engine', 'status', '--engine', 'builtin', '--data-dir', dataDir]);
    expect(text.stdout).toContain('Backend    cpu');
    expect(text.stdout).toContain(`sha256 ${file.sha256}`);
  });
});
