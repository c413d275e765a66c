import { describe, expect, it } from 'vitest';
import {
  NetworkConfigInvalidError,
  parseGgufModel,
  parseModelCatalog,
  parseTierModels,
} from '../../../src-shared/network-config/index.ts';
import { DEFAULT_TIERS, ggufSizeBytes } from '../../../src-shared/tiers/index.ts';

const SHA = 'ab'.repeat(32);
const model = {
  format: 'gguf',
  id: 'tiny-llama-test',
  quantization: 'F32',
  contextLength: 512,
  memoryBytes: 2_000_000,
  files: [{ name: 'tiny.gguf', urls: ['http://127.0.0.1:8080/tiny.gguf'], sizeBytes: 500_000, sha256: SHA }],
};

function refusal(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(NetworkConfigInvalidError);
    return (error as NetworkConfigInvalidError).path;
  }
  throw new Error('accepted');
}

describe('the model catalog', () => {
  it('reads a GGUF model with its files, sizes and hashes', () => {
    const parsed = parseGgufModel(model, 'm');
    expect(parsed).toEqual(model);
    expect(ggufSizeBytes(parsed)).toBe(500_000);
  });

  it('ships real files for the tiers the built-in engine serves, every one a valid entry', () => {
    for (const tier of DEFAULT_TIERS) {
      expect(parseTierModels(JSON.parse(JSON.stringify(tier.engineModels)), tier.id)).toEqual(
        tier.engineModels,
      );
    }
    const a = DEFAULT_TIERS[0]!.engineModels.builtin!;
    expect(a).toMatchObject({ quantization: 'Q4_K_M', contextLength: 8192 });
    expect(a.files[0]).toMatchObject({
      name: 'Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf',
      sizeBytes: 4_920_739_232,
      sha256: '7b064f5842bf9532c91456deda288a1b672397a54fa729aa665952863033557c',
    });
    expect(a.files[0]!.urls[0]).toMatch(/^https:\/\/huggingface\.co\/bartowski\//);
  });

  it('refuses file names that are paths or not GGUF', () => {
    for (const name of ['../evil.gguf', 'a/b.gguf', 'a\\b.gguf', '.hidden.gguf', 'x.bin', 'x..gguf', '']) {
      expect(refusal(() => parseGgufModel({ ...model, files: [{ ...model.files[0], name }] }, 'm'))).toBe(
        'm.files[0].name',
      );
    }
  });

  it('refuses URLs other than plain http(s), and credentials in them', () => {
    for (const url of [
      'ftp://example.org/x.gguf',
      'file:///etc/passwd',
      'https://user:pw@example.org/x.gguf',
      'https://example.org@evil.org/x.gguf',
      'javascript:alert(1)',
      'https://exa mple.org/x.gguf',
      'https://example.org/x\n.gguf',
    ]) {
      expect(
        refusal(() => parseGgufModel({ ...model, files: [{ ...model.files[0], urls: [url] }] }, 'm')),
      ).toBe('m.files[0].urls[0]');
    }
  });

  it('refuses sizes and hashes that cannot be right', () => {
    const file = model.files[0]!;
    expect(refusal(() => parseGgufModel({ ...model, memoryBytes: 499_999 }, 'm'))).toBe('m.memoryBytes');
    expect(refusal(() => parseGgufModel({ ...model, files: [{ ...file, sizeBytes: 0 }] }, 'm'))).toBe(
      'm.files[0].sizeBytes',
    );
    expect(refusal(() => parseGgufModel({ ...model, files: [{ ...file, sizeBytes: 2 ** 60 }] }, 'm'))).toBe(
      'm.files[0].sizeBytes',
    );
    expect(
      refusal(() => parseGgufModel({ ...model, files: [{ ...file, sha256: SHA.toUpperCase() }] }, 'm')),
    ).toBe('m.files[0].sha256');
    expect(refusal(() => parseGgufModel({ ...model, files: [file, file] }, 'm'))).toBe('m.files');
    expect(refusal(() => parseGgufModel({ ...model, files: [] }, 'm'))).toBe('m.files');
    expect(refusal(() => parseGgufModel({ ...model, contextLength: 1.5 }, 'm'))).toBe('m.contextLength');
  });

  it('refuses unknown fields anywhere (they would escape the signature)', () => {
    expect(refusal(() => parseGgufModel({ ...model, extra: 1 }, 'm'))).toBe('m');
    expect(refusal(() => parseTierModels({ exo: 'x', gguf: model }, 't'))).toBe('t');
    expect(refusal(() => parseTierModels({ exo: 'x', exoNeeds: { memoryBytes: 1 } }, 't'))).toBe(
      't.exoNeeds.diskBytes',
    );
  });

  it('reads a catalog file for network init, and refuses a bad one', () => {
    const catalog = parseModelCatalog({
      format: 1,
      tiers: {
        'model-a': { engineModels: { exo: 'x', builtin: model }, exampleModels: ['Tiny test model'] },
      },
    });
    expect(catalog.tiers['model-a']?.engineModels.builtin?.id).toBe('tiny-llama-test');
    expect(refusal(() => parseModelCatalog({ format: 2, tiers: {} }))).toBe('format');
    expect(refusal(() => parseModelCatalog({ format: 1, tiers: { 'Model A': {} } }))).toBe('tiers.Model A');
    expect(refusal(() => parseModelCatalog({ format: 1, tiers: [] }))).toBe('tiers');
  });
});
