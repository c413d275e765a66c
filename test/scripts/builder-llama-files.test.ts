// electron-builder.yml ships only the installer's own OS/arch llama.cpp binaries (no CUDA, no source bundle),
// unpacked from the asar. Checked with electron-builder's own file matcher and config loader, per target.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const require = createRequire(import.meta.url);
type Filter = (file: string, stat: { isDirectory(): boolean }) => boolean;
interface Matcher {
  createFilter(): Filter;
}
const { FileMatcher, getNodeModuleFileMatcher } = require('app-builder-lib/out/fileMatcher') as {
  FileMatcher: new (
    from: string,
    to: string,
    expand: (p: string) => string,
    patterns: readonly string[],
  ) => Matcher;
  getNodeModuleFileMatcher: (
    appDir: string,
    destination: string,
    expand: (p: string) => string,
    platformOptions: object,
    packager: object,
  ) => Matcher;
};
const { getConfig } = require('app-builder-lib/out/util/config/config') as {
  getConfig: (dir: string, path: string, x: null) => Promise<{ files: unknown; asarUnpack: string[] }>;
};

const root = '/project';
const file = { isDirectory: () => false };

async function shipped(os: string, arch: string, paths: readonly string[]) {
  const config = await getConfig(process.cwd(), 'electron-builder.yml', null);
  const expand = (pattern: string) => pattern.replaceAll('${os}', os).replaceAll('${arch}', arch);
  // How electron-builder filters production node_modules: every pattern of `files`, after `**/*`.
  const filter = getNodeModuleFileMatcher(
    root,
    root,
    expand,
    {},
    {
      config,
      debugLogger: { isEnabled: false },
    },
  ).createFilter();
  const unpack = new FileMatcher(root, root, expand, config.asarUnpack).createFilter();
  return Object.fromEntries(
    paths.map((path) => [
      path,
      { shipped: filter(join(root, path), file), unpacked: unpack(join(root, path), file) },
    ]),
  );
}

const bin = (pkg: string, name: string) => `node_modules/@node-llama-cpp/${pkg}/bins/${pkg}/${name}`;

describe('electron-builder: node-llama-cpp binaries per installer', () => {
  it('linux x64 ships CPU and Vulkan builds, unpacked, and nothing of other platforms or CUDA', async () => {
    const paths = [
      bin('linux-x64', 'llama-addon.node'),
      bin('linux-x64', 'libggml-base.so'),
      bin('linux-x64-vulkan', 'libggml-vulkan.so'),
      bin('linux-x64-cuda', 'libggml-cuda.so'),
      bin('linux-x64-cuda-ext', 'libggml-cuda.so'),
      bin('linux-arm64', 'llama-addon.node'),
      bin('win-x64', 'llama-addon.node'),
      bin('mac-arm64-metal', 'llama-addon.node'),
      'node_modules/node-llama-cpp/llama/gitRelease.bundle',
      'node_modules/node-llama-cpp/dist/index.js',
    ];
    const result = await shipped('linux', 'x64', paths);
    expect(result[bin('linux-x64', 'llama-addon.node')]).toEqual({ shipped: true, unpacked: true });
    expect(result[bin('linux-x64', 'libggml-base.so')]).toEqual({ shipped: true, unpacked: true });
    expect(result[bin('linux-x64-vulkan', 'libggml-vulkan.so')]).toEqual({ shipped: true, unpacked: true });
    for (const gone of [
      bin('linux-x64-cuda', 'libggml-cuda.so'),
      bin('linux-x64-cuda-ext', 'libggml-cuda.so'),
      bin('linux-arm64', 'llama-addon.node'),
      bin('win-x64', 'llama-addon.node'),
      bin('mac-arm64-metal', 'llama-addon.node'),
      'node_modules/node-llama-cpp/llama/gitRelease.bundle',
    ]) {
      expect(result[gone]?.shipped, gone).toBe(false);
    }
    expect(result['node_modules/node-llama-cpp/dist/index.js']?.shipped).toBe(true);
  });

  it('a mac arm64 installer ships Metal, a Windows x64 one the CPU and Vulkan builds', async () => {
    const mac = await shipped('mac', 'arm64', [
      bin('mac-arm64-metal', 'libggml-metal.dylib'),
      bin('mac-x64', 'llama-addon.node'),
    ]);
    expect(mac[bin('mac-arm64-metal', 'libggml-metal.dylib')]).toEqual({ shipped: true, unpacked: true });
    expect(mac[bin('mac-x64', 'llama-addon.node')]?.shipped).toBe(false);
    const win = await shipped('win', 'x64', [
      bin('win-x64', 'llama-addon.node'),
      bin('win-x64-vulkan', 'ggml-vulkan.dll'),
      bin('win-x64-cuda', 'ggml-cuda.dll'),
      bin('linux-x64', 'llama-addon.node'),
    ]);
    expect(win[bin('win-x64', 'llama-addon.node')]).toEqual({ shipped: true, unpacked: true });
    expect(win[bin('win-x64-vulkan', 'ggml-vulkan.dll')]).toEqual({ shipped: true, unpacked: true });
    expect(win[bin('win-x64-cuda', 'ggml-cuda.dll')]?.shipped).toBe(false);
    expect(win[bin('linux-x64', 'llama-addon.node')]?.shipped).toBe(false);
  });
});
