// packageRoot finds our package.json from any depth: the sources, and bundles under out/.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../../src-main/node/package-root.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url)).replace(/\/$/, '');
let scratch: string;
beforeEach(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'og-package-root-'));
});
afterEach(async () => {
  await rm(scratch, { recursive: true, force: true });
});

describe('packageRoot', () => {
  it('is the checkout from a source module and from a bundle under out/', () => {
    const source = pathToFileURL(join(ROOT, 'src-main', 'node', 'local-api', 'serve-node.ts')).href;
    expect(packageRoot(source)).toBe(ROOT);
    expect(packageRoot(pathToFileURL(join(ROOT, 'out', 'node', 'bin.js')).href)).toBe(ROOT);
  });

  it('skips other packages’ package.json and throws when ours is nowhere above', async () => {
    await writeFile(join(scratch, 'package.json'), JSON.stringify({ name: 'opengateway' }));
    await mkdir(join(scratch, 'node_modules', 'x'), { recursive: true });
    await writeFile(join(scratch, 'node_modules', 'x', 'package.json'), JSON.stringify({ name: 'x' }));
    const inner = pathToFileURL(join(scratch, 'node_modules', 'x', 'index.js')).href;
    expect(packageRoot(inner)).toBe(scratch);
    await writeFile(join(scratch, 'package.json'), '{not json');
    expect(() => packageRoot(inner)).toThrow(/no opengateway package.json above/);
  });
});
