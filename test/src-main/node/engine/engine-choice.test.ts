import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { detectEngine, resolveEngineChoice } from '../../../../src-main/node/engine/engine-choice.ts';

describe('which engine serves', () => {
  it('takes the contributor’s choice as it is', () => {
    for (const kind of ['builtin', 'exo', 'openai'] as const) {
      expect(resolveEngineChoice(kind, { openAiConfigured: true, exoInstalled: true })).toBe(kind);
    }
  });

  it('by default: a server the user points at, else EXO where installed, else the built-in engine', () => {
    expect(resolveEngineChoice('auto', { openAiConfigured: true, exoInstalled: true })).toBe('openai');
    expect(resolveEngineChoice('auto', { openAiConfigured: false, exoInstalled: true })).toBe('exo');
    expect(resolveEngineChoice('auto', { openAiConfigured: false, exoInstalled: false })).toBe('builtin');
  });

  it('finds EXO on PATH, and falls back to the built-in engine without it', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'og-engine-choice-'));
    try {
      const exo = join(dir, 'exo');
      await writeFile(exo, '#!/bin/sh\nexit 0\n');
      await chmod(exo, 0o755);
      const home = join(dir, 'home');
      expect(await detectEngine('auto', { openAiConfigured: false, env: { PATH: dir }, homedir: home })).toBe(
        'exo',
      );
      expect(
        await detectEngine('auto', {
          openAiConfigured: false,
          env: { PATH: join(dir, 'none') },
          homedir: home,
        }),
      ).toBe('builtin');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
