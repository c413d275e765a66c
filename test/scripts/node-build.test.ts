// The bundled headless node (scripts/build-node.ts, scripts/node-build.js, scripts/opengateway-node.js): a real
// build into a scratch folder under out/, the freshness check against edits of what it records, and the
// launcher running the bundle with the build's messages kept off stdout, and node-datachannel (WebRTC) bundled
// so that it loads only when used and still finds its native addon.
import { spawnSync } from 'node:child_process';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNodeBuilt, nodeBuildIsFresh } from '../../scripts/node-build.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const LAUNCHER = join(ROOT, 'scripts', 'opengateway-node.js');
let outDir: string;

interface Manifest {
  node: string;
  inputs: [string, number, number][];
  outputs: [string, number, number][];
}
const readManifest = async () =>
  JSON.parse(await readFile(join(outDir, 'manifest.json'), 'utf8')) as Manifest;

beforeAll(async () => {
  // Under out/ so the bundle finds node_modules and package.json above it, as out/node does.
  await mkdir(join(ROOT, 'out'), { recursive: true });
  outDir = await mkdtemp(join(ROOT, 'out', 'node-build-test-'));
}, 10_000);
afterAll(async () => {
  await rm(outDir, { recursive: true, force: true });
});

describe('the node bundle', { timeout: 180_000 }, () => {
  it('builds the node, its profile worker and its engine host, and runs as the CLI', async () => {
    expect(nodeBuildIsFresh(outDir)).toBe(false);
    expect(ensureNodeBuilt(outDir)).toBeNull();
    expect(nodeBuildIsFresh(outDir)).toBe(true);
    const manifest = await readManifest();
    expect(manifest.node).toBe(process.version);
    expect(manifest.outputs.map(([path]) => path.slice(outDir.length + 1)).sort()).toEqual([
      'bin.js',
      'llama-host.js',
      'profile-worker.js',
    ]);
    const inputs = manifest.inputs.map(([path]) => path);
    expect(inputs).toContain(join(ROOT, 'src-main', 'cli', 'bin.ts'));
    expect(inputs).toContain(join(ROOT, 'scripts', 'build-node.ts'));
    expect(inputs.some((path) => path.includes('/node_modules/libp2p/'))).toBe(true);
    // node-llama-cpp stays outside (native addons next to its own files).
    expect(inputs.some((path) => path.includes('/node_modules/node-llama-cpp/'))).toBe(false);

    // ASCII only: V8 would keep a source with any non-Latin-1 character at two bytes a character.
    for (const [path] of manifest.outputs)
      expect((await readFile(path)).every((byte) => byte < 0x80)).toBe(true);

    const run = spawnSync(process.execPath, [join(outDir, 'bin.js'), 'network', '--help'], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toMatch(/network init/);
  });

  it('counts as stale when a recorded source, an output or the Node version changed', async () => {
    expect(nodeBuildIsFresh(outDir)).toBe(true);
    const original = await readFile(join(outDir, 'manifest.json'), 'utf8');
    const edit = async (change: (manifest: Manifest) => void) => {
      const manifest = JSON.parse(original) as Manifest;
      change(manifest);
      await writeFile(join(outDir, 'manifest.json'), JSON.stringify(manifest));
      return nodeBuildIsFresh(outDir);
    };
    // A source saved since the build (its recorded mtime is older than the file's).
    expect(await edit((m) => (m.inputs[0]![2] -= 1000))).toBe(false);
    expect(await edit((m) => (m.inputs[m.inputs.length - 1]![1] += 1))).toBe(false);
    expect(await edit((m) => m.inputs.push([join(outDir, 'vanished.ts'), 1, 1]))).toBe(false);
    expect(await edit((m) => (m.node = 'v0.0.0'))).toBe(false);
    expect(await edit((m) => (m.outputs = []))).toBe(false);
    await writeFile(join(outDir, 'manifest.json'), '{"node":');
    expect(nodeBuildIsFresh(outDir)).toBe(false);
    await writeFile(join(outDir, 'manifest.json'), original);
    expect(nodeBuildIsFresh(outDir)).toBe(true);
    // An output changed behind the manifest's back.
    await appendFile(join(outDir, 'bin.js'), '\n');
    expect(nodeBuildIsFresh(outDir)).toBe(false);
    // ensureNodeBuilt rebuilds it.
    expect(ensureNodeBuilt(outDir)).toBeNull();
    expect(nodeBuildIsFresh(outDir)).toBe(true);
  });

  it('opengateway-node runs the bundle; stdout carries only the command’s output', () => {
    const run = spawnSync(process.execPath, [LAUNCHER, '--help'], { encoding: 'utf8' });
    expect(run.status).toBe(0);
    expect(run.stdout.startsWith('Usage: opengateway-node <command>')).toBe(true);
    expect(run.stderr).not.toMatch(/running from the TypeScript sources/);
    expect(nodeBuildIsFresh()).toBe(true);
  });

  it('keeps node-datachannel (WebRTC) out of the bundle’s static imports: it loads only with @libp2p/webrtc', async () => {
    const bundle = await readFile(join(outDir, 'bin.js'), 'utf8');
    // An external imported by a lazily run module becomes a static import at the top of the file, which would
    // load the native addon and its threads into every node.
    expect(bundle).not.toMatch(/from\s*"node-datachannel/);
    expect(bundle).not.toMatch(/from\s*"@node-datachannel/);
    const manifest = await readManifest();
    expect(manifest.inputs.some(([path]) => path.includes('/node_modules/node-datachannel/'))).toBe(true);
  });

  it('bundles node-datachannel so that it still finds its native addon: a WebRTC message over loopback', async () => {
    const dir = await mkdtemp(join(ROOT, 'out', 'node-build-webrtc-'));
    try {
      const build = spawnSync(
        process.execPath,
        [
          '--disable-warning=ExperimentalWarning',
          join(ROOT, 'scripts', 'build-node.ts'),
          '--out',
          dir,
          '--entry',
          `webrtc-loopback=${join(ROOT, 'test', 'scripts', 'fixtures', 'webrtc-loopback.ts')}`,
        ],
        { encoding: 'utf8' },
      );
      expect(build.status, build.stderr).toBe(0);
      const bundle = await readFile(join(dir, 'webrtc-loopback.js'), 'utf8');
      expect(bundle).not.toMatch(/from\s*"node-datachannel/);
      const run = spawnSync(process.execPath, [join(dir, 'webrtc-loopback.js')], {
        encoding: 'utf8',
        timeout: 60_000,
      });
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout.trim()).toBe('hello over webrtc');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
