// Security finding 19: a packaged OpenGateway must not run code from NODE_OPTIONS, open a debugger on
// --inspect or SIGUSR1, or load app code from anywhere but an integrity-checked app.asar. Checked on what
// electron-builder itself would flip: its config loader and its own fuse mapping (@electron/fuses wire).
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
const { getConfig } = require('app-builder-lib/out/util/config/config') as {
  getConfig: (dir: string, path: string, x: null) => Promise<{ electronFuses?: Record<string, unknown> }>;
};
const { PlatformPackager } = require('app-builder-lib') as {
  PlatformPackager: { prototype: { generateFuseConfig(fuses: object): Promise<Record<string, unknown>> } };
};
const { FuseV1Options } = require('@electron/fuses') as { FuseV1Options: Record<string, string | number> };

/** What each fuse must be in a packaged build. */
const REQUIRED = {
  EnableNodeOptionsEnvironmentVariable: false,
  EnableNodeCliInspectArguments: false,
  EnableEmbeddedAsarIntegrityValidation: true,
  OnlyLoadAppFromAsar: true,
  EnableCookieEncryption: true,
} as const;

async function fuseWire(): Promise<Record<string, unknown>> {
  const config = await getConfig(process.cwd(), 'electron-builder.yml', null);
  expect(config.electronFuses, 'electron-builder.yml has no electronFuses').toBeDefined();
  return PlatformPackager.prototype.generateFuseConfig.call({}, config.electronFuses!);
}

describe('the packaged app’s Electron fuses (finding 19)', () => {
  it('sets every hardening fuse electron-builder flips before signing', async () => {
    const wire = await fuseWire();
    for (const [name, value] of Object.entries(REQUIRED)) {
      const option = FuseV1Options[name];
      expect(option, `@electron/fuses has no ${name}`).toBeDefined();
      expect(wire[String(option)], `fuse ${name}`).toBe(value);
    }
  });

  it('keeps RunAsNode on only while the built-in engine’s host needs ELECTRON_RUN_AS_NODE', async () => {
    const wire = await fuseWire();
    const runAsNode = wire[String(FuseV1Options.RunAsNode)];
    // An explicit choice, never Electron's default by omission.
    expect(typeof runAsNode).toBe('boolean');
    const engine = await readFile('src-main/node/engine/builtin/builtin-engine.ts', 'utf8');
    const needed = /ELECTRON_RUN_AS_NODE\s*=\s*'1'/.test(engine);
    expect(runAsNode).toBe(needed);
  });
});
