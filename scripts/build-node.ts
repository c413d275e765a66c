// The headless node as plain JavaScript (issue 17 item 4): out/node/bin.js and the two files it starts at run
// time next to itself (the profile worker thread, the llama.cpp host process), each one file with our code
// and its dependencies. Run from .ts sources, Node keeps its TypeScript stripper (~15 MB) and ~1,500 module
// records with their source text; the bundle is one script. `opengateway-node` (scripts/opengateway-node.js)
// rebuilds it whenever an input changed (scripts/node-build.js reads the manifest written here), so nobody
// runs this by hand; `npm run build:node` does it explicitly. Takes ~2–5 s.
// Usage: node scripts/build-node.ts [--out DIR] [--entry NAME=FILE ...]   (default out/node; tests build
// elsewhere, and add entries of their own to check the build's settings)
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { build } from 'rolldown';

const ROOT = resolve(import.meta.dirname, '..');
const { values } = parseArgs({
  options: { out: { type: 'string' }, entry: { type: 'string', multiple: true } },
});
const OUT = resolve(values.out ?? join(ROOT, 'out', 'node'));

// Each entry is built alone with its dynamic imports inlined: one file per entry, so a build lands by renaming
// files into place and a running node never finds a half-written or vanished chunk. The names are what
// scan-off-thread.ts and builtin-engine.ts look for next to their own module.
const ENTRIES: Readonly<Record<string, string>> = {
  bin: 'src-main/cli/bin.ts',
  'profile-worker': 'src-main/node/profile/profile-worker.ts',
  'llama-host': 'src-main/node/engine/builtin/llama-host.ts',
  ...Object.fromEntries(
    (values.entry ?? []).map((entry): [string, string] => {
      const at = entry.indexOf('=');
      return [entry.slice(0, at), entry.slice(at + 1)];
    }),
  ),
};

// node-llama-cpp loads native addons and its own files relative to itself; only the engine host imports it.
// node-datachannel (WebRTC hole punching) is bundled: an external module would be a static import at the top
// of bin.js (rolldown hoists externals out of the lazily run @libp2p/webrtc) and load its native addon into
// every node (idle node with 50 peers: median 122.3 → 116.6 MB RSS over 3 alternating rounds of
// bench/footprint-ab.ts, ~3 MB of it the library's mapped pages). Bundled, its JavaScript runs only when the
// p2p service imports @libp2p/webrtc (a node behind NAT), and it finds its addon by package name
// (@node-datachannel/<platform>, kept external), resolved from out/node up to node_modules.
const EXTERNAL = [/^node-llama-cpp(\/|$)/, /^@node-datachannel\//];

/** What the manifest records per input: path (absolute), size, mtime (ms). scripts/node-build.js compares. */
type InputStamp = [path: string, size: number, mtimeMs: number];

const started = Date.now();
await mkdir(OUT, { recursive: true });
const inputs = new Set<string>([
  join(ROOT, 'scripts', 'build-node.ts'),
  join(ROOT, 'node_modules', 'rolldown', 'package.json'),
]);
const outputs: string[] = [];
for (const [name, entry] of Object.entries(ENTRIES)) {
  const result = await build({
    input: resolve(ROOT, entry),
    platform: 'node',
    external: EXTERNAL,
    logLevel: 'warn',
    write: false,
    output: {
      format: 'esm',
      codeSplitting: false,
      minify: true,
      keepNames: true,
      comments: false,
      // V8 keeps each script's source on its heap for as long as the script lives, one byte per character
      // when it is all Latin-1 and two otherwise: a single "…" in a string would double the ~2.9 MB of bin.js.
      charset: 'ascii',
      sourcemap: false,
    },
  });
  const chunk = result.output.find((item) => item.type === 'chunk' && item.isEntry);
  if (!chunk || chunk.type !== 'chunk') throw new Error(`the build of ${entry} produced no entry chunk`);
  for (const id of chunk.moduleIds) if (id.startsWith('/') || /^[A-Za-z]:[\\/]/.test(id)) inputs.add(id);
  const file = join(OUT, `${name}.js`);
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, chunk.code);
  await rename(temporary, file);
  outputs.push(file);
}

const stamp = async (path: string): Promise<InputStamp> => {
  const info = await stat(path);
  return [path, info.size, info.mtimeMs];
};
const manifest = {
  node: process.version,
  inputs: await Promise.all([...inputs].sort().map(stamp)),
  outputs: await Promise.all(outputs.map(stamp)),
};
const manifestFile = join(OUT, 'manifest.json');
await writeFile(`${manifestFile}.${process.pid}.tmp`, JSON.stringify(manifest));
await rename(`${manifestFile}.${process.pid}.tmp`, manifestFile);
const size = (await readFile(join(OUT, 'bin.js'))).length;
process.stderr.write(
  `built ${OUT} (${manifest.inputs.length} inputs, bin.js ${(size / 2 ** 20).toFixed(1)} MB) in ${Date.now() - started} ms\n`,
);
