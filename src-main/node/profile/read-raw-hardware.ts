// Reads the machine. Runs inside a worker thread (see scan-off-thread.ts): systeminformation's graphics()
// calls vendor tools synchronously on Linux and Windows, which would stall the node's event loop.
import { execFile } from 'node:child_process';
import { readdir, readFile, realpath, statfs } from 'node:fs/promises';
import { arch, platform } from 'node:os';
import { dirname, join, sep } from 'node:path';
import { promisify } from 'node:util';
import si from 'systeminformation';
import type { RawHardware, RawNvidiaGpu } from './raw-hardware.ts';

const run = promisify(execFile);
const TOOL_TIMEOUT_MS = 5_000;

export async function readRawHardware(dataDir: string): Promise<RawHardware> {
  const os = platform();
  const [cpu, mem, graphics, nvidiaGpus, amdVramBytes, appleWiredLimitMb, disk] = await Promise.all([
    si.cpu(),
    si.mem(),
    si.graphics().catch(() => ({ controllers: [] })),
    os === 'darwin' ? Promise.resolve([]) : readNvidiaSmi(),
    os === 'linux' ? readAmdVram() : Promise.resolve([]),
    os === 'darwin' ? readAppleWiredLimit() : Promise.resolve(null),
    readDisk(dataDir),
  ]);
  return {
    platform: os,
    arch: arch(),
    cpu: {
      manufacturer: cpu.manufacturer,
      brand: cpu.brand,
      cores: cpu.cores,
      physicalCores: cpu.physicalCores,
      speed: cpu.speed,
    },
    mem: { total: mem.total, available: mem.available },
    controllers: graphics.controllers.map((controller) => ({
      vendor: controller.vendor ?? '',
      model: controller.model ?? '',
      vram: typeof controller.vram === 'number' ? controller.vram : null,
      vramDynamic: Boolean(controller.vramDynamic),
      memoryTotal: controller.memoryTotal ?? null,
      memoryFree: controller.memoryFree ?? null,
    })),
    nvidiaGpus,
    amdVramBytes,
    appleWiredLimitMb,
    disk,
  };
}

/** systeminformation skips nvidia-smi when lspci is missing, so ask it ourselves (absent tool → no GPUs). */
async function readNvidiaSmi(): Promise<RawNvidiaGpu[]> {
  try {
    const { stdout } = await run(
      'nvidia-smi',
      ['--query-gpu=name,memory.total,memory.free', '--format=csv,noheader,nounits'],
      { timeout: TOOL_TIMEOUT_MS, windowsHide: true },
    );
    return parseNvidiaSmi(stdout);
  } catch {
    return [];
  }
}

/** Parses nvidia-smi's CSV; lines that do not hold a name and two numbers are skipped. */
export function parseNvidiaSmi(stdout: string): RawNvidiaGpu[] {
  const gpus: RawNvidiaGpu[] = [];
  for (const line of stdout.split(/\r?\n/)) {
    const fields = line.split(',').map((field) => field.trim());
    if (fields.length !== 3) continue;
    const [name, total, free] = fields as [string, string, string];
    const memoryTotalMiB = Number(total);
    const memoryFreeMiB = Number(free);
    if (name === '' || !Number.isFinite(memoryTotalMiB) || memoryTotalMiB <= 0) continue;
    gpus.push({ name, memoryTotalMiB, memoryFreeMiB: Number.isFinite(memoryFreeMiB) ? memoryFreeMiB : 0 });
  }
  return gpus;
}

async function readAmdVram(): Promise<number[]> {
  let cards: string[];
  try {
    cards = (await readdir('/sys/class/drm')).filter((name) => /^card\d+$/.test(name));
  } catch {
    return [];
  }
  const sizes = await Promise.all(
    cards.map(async (card) => {
      try {
        const text = await readFile(join('/sys/class/drm', card, 'device', 'mem_info_vram_total'), 'utf8');
        const bytes = Number(text.trim());
        return Number.isFinite(bytes) && bytes > 0 ? bytes : null;
      } catch {
        return null;
      }
    }),
  );
  return sizes.filter((bytes): bytes is number => bytes !== null);
}

async function readAppleWiredLimit(): Promise<number | null> {
  try {
    const { stdout } = await run('sysctl', ['-n', 'iogpu.wired_limit_mb'], { timeout: TOOL_TIMEOUT_MS });
    const value = Number(stdout.trim());
    return Number.isFinite(value) && value > 0 ? value : null;
  } catch {
    return null;
  }
}

/** Free space where models will be stored: the data dir, or its nearest existing parent on a first start. */
async function readDisk(dataDir: string): Promise<RawHardware['disk']> {
  let path = dataDir;
  for (;;) {
    try {
      path = await realpath(path);
      break;
    } catch {
      const parent = dirname(path);
      if (parent === path) break;
      path = parent;
    }
  }
  const [stats, filesystems] = await Promise.all([statfs(path), si.fsSize().catch(() => [])]);
  const mount =
    filesystems
      .map((filesystem) => filesystem.mount)
      .filter(
        (mountPoint) =>
          path === mountPoint || path.startsWith(mountPoint.endsWith(sep) ? mountPoint : mountPoint + sep),
      )
      .sort((a, b) => b.length - a.length)[0] ?? null;
  return { path, freeBytes: stats.bavail * stats.bsize, totalBytes: stats.blocks * stats.bsize, mount };
}
