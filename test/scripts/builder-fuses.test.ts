// Security finding 19: a packaged OpenGateway must not run as plain Node on ELECTRON_RUN_AS_NODE, run code from
// NODE_OPTIONS, open a debugger on --inspect or SIGUSR1, or load app code from anywhere but an integrity-checked
// app.asar. Checked on what electron-builder itself would flip: its config loader and its own fuse mapping
// (@electron/fuses wire).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
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
  RunAsNode: false,
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

  it('has nothing in the app set ELECTRON_RUN_AS_NODE (the llama.cpp host runs on utilityProcess)', async () => {
    // Everything the app's main bundle is built from (electron.vite.config.ts: src-main, src-shared).
    const offenders: string[] = [];
    for (const root of ['src-main', 'src-shared']) {
      for (const file of await sourceFiles(root)) {
        const text = await readFile(file, 'utf8');
        // An assignment, an object key or a string naming the variable; prose in comments may mention it.
        if (/ELECTRON_RUN_AS_NODE\s*[:=]|['"`]ELECTRON_RUN_AS_NODE['"`]/.test(text)) offenders.push(file);
      }
    }
    expect(offenders).toEqual([]);
    const launch = await readFile('src-main/app/launch-node.ts', 'utf8');
    expect(launch).toMatch(/builtinHostLauncher: utilityHostLauncher\(utilityProcess\)/);
  });
});

async function sourceFiles(dir: string): Promise<string[]> {
  const files: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await sourceFiles(path)));
    else if (/\.(ts|tsx|js|mjs|cjs)$/.test(entry.name)) files.push(path);
  }
  return files;
}
