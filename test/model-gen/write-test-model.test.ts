import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testModelId, writeTestModel } from './write-test-model.ts';
import { toHalf } from './tensor-encoding.ts';

describe('writeTestModel', () => {
  let dir = '';
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'og-model-gen-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes the same bytes for the same seed and different bytes for another, with the hash it reports', async () => {
    const a = await writeTestModel(join(dir, 'a.gguf'), { shape: 'tiny', seed: 7 });
    const b = await writeTestModel(join(dir, 'b.gguf'), { shape: 'tiny', seed: 7 });
    const c = await writeTestModel(join(dir, 'c.gguf'), { shape: 'tiny', seed: 8 });
    expect(b).toEqual(a);
    expect(c.sha256).not.toBe(a.sha256);
    const bytes = await readFile(join(dir, 'a.gguf'));
    expect(bytes.length).toBe(a.sizeBytes);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(a.sha256);
    expect(a.sizeBytes).toBeLessThan(4 * 1024 * 1024);
  });

  it('is a GGUF v3 llama model with a SentencePiece vocabulary and a ChatML template, tensors contiguous', async () => {
    const path = join(dir, 'tiny.gguf');
    await writeTestModel(path, { shape: 'tiny' });
    const info = await readGgufFileInfo(path, { readTensorInfo: true });
    expect(info.version).toBe(3);
    const metadata = info.metadata as unknown as {
      general: { architecture: string; name: string; alignment: number };
      llama: { block_count: number; embedding_length: number; rope: { dimension_count: number } };
      tokenizer: { ggml: { model: string; tokens: string[] }; chat_template: string };
    };
    expect(metadata.general.architecture).toBe('llama');
    expect(metadata.general.name).toBe(testModelId('tiny'));
    expect(metadata.llama.block_count).toBe(2);
    expect(metadata.llama.rope.dimension_count).toBe(16);
    expect(metadata.tokenizer.ggml.model).toBe('llama');
    const tokens = metadata.tokenizer.ggml.tokens;
    expect(new Set(tokens).size).toBe(tokens.length);
    expect(tokens).toContain('<0x0A>');
    expect(tokens).toContain('▁');
    expect(tokens).toContain('<|im_end|>');
    // SPM merges pairwise: every prefix of a multi-character piece must itself be a token.
    const vocabulary = new Set(tokens);
    for (const token of tokens.filter((t) => !t.startsWith('<') && t.length > 1)) {
      expect(vocabulary.has(token.slice(0, -1)), token).toBe(true);
    }
    expect(metadata.tokenizer.chat_template).toContain('<|im_start|>');
    const tensors = info.tensorInfo ?? [];
    expect(tensors).toHaveLength(3 + 2 * 9);
    const norms = tensors.filter((t) => t.name.endsWith('norm.weight'));
    expect(norms.every((t) => Number(t.ggmlType) === 0)).toBe(true);
    const offsets = tensors.map((t) => Number(t.offset));
    expect(offsets[0]).toBe(0);
    expect(offsets.every((offset) => offset % 32 === 0)).toBe(true);
  });
});

describe('toHalf', () => {
  it('encodes half precision like IEEE 754', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(0.5)).toBe(0x3800);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(2 ** -24)).toBe(0x0001);
    expect(toHalf(0)).toBe(0);
  });
});
