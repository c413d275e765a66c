// Whether out/node (the bundled headless node, scripts/build-node.ts) matches its sources, and building it
// when it does not. Plain JavaScript on purpose: the `opengateway-node` launcher imports this before the node
// itself, and a .ts file here would load Node's TypeScript stripper (~15 MB) into every node process.
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the bundle lives (tests pass another folder). */
export const NODE_BUILD_DIR = fileURLToPath(new URL('../out/node', import.meta.url));
/** The bundled node's entry (what `opengateway-node` runs). */
export const NODE_BUNDLE = join(NODE_BUILD_DIR, 'bin.js');
/** The sources' entry, for when the bundle cannot be built. */
export const NODE_SOURCE = fileURLToPath(new URL('../src-main/cli/bin.ts', import.meta.url));
const BUILD_SCRIPT = fileURLToPath(new URL('./build-node.ts', import.meta.url));

/**
 * True when the last build in `outDir` was made by this Node version and every input and output its manifest
 * records is there with the same size and mtime (an edit, a checkout or `npm ci` changes them).
 */
export function nodeBuildIsFresh(outDir = NODE_BUILD_DIR) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'));
  } catch {
    return false;
  }
  if (manifest === null || typeof manifest !== 'object' || manifest.node !== process.version) return false;
  if (!Array.isArray(manifest.inputs) || !Array.isArray(manifest.outputs)) return false;
  if (manifest.inputs.length === 0 || manifest.outputs.length === 0) return false;
  for (const stamp of [...manifest.inputs, ...manifest.outputs]) {
    if (!Array.isArray(stamp) || typeof stamp[0] !== 'string') return false;
    const [path, size, mtimeMs] = stamp;
    const info = statSync(path, { throwIfNoEntry: false });
    if (!info || info.size !== size || info.mtimeMs !== mtimeMs) return false;
  }
  return true;
}

/**
 * Builds `outDir` unless it is fresh, in a child process (the bundler stays out of the caller's memory). The
 * build's messages go to stderr, so a command's stdout stays its own. Returns null when the bundle is usable,
 * else why not.
 */
export function ensureNodeBuilt(outDir = NODE_BUILD_DIR) {
  if (nodeBuildIsFresh(outDir)) return null;
  process.stderr.write('opengateway-node: building the node from its sources (a few seconds)…\n');
  const build = spawnSync(
    process.execPath,
    ['--disable-warning=ExperimentalWarning', BUILD_SCRIPT, '--out', outDir],
    { stdio: ['ignore', 2, 'inherit'] },
  );
  if (build.error) return `the build did not start: ${build.error.message}`;
  if (build.status !== 0) return `the build exited with ${build.status ?? build.signal}`;
  return nodeBuildIsFresh(outDir) ? null : 'the build finished but its manifest does not match its files';
}
