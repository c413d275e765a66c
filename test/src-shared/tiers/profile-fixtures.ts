// Resource profiles of real machine classes, with the sizes their tools actually report.
import type { GpuResource, ResourceProfile } from '../../../src-shared/tiers/index.ts';

const GIB = 2 ** 30;
const MIB = 2 ** 20;

export function rtx(memoryMiB: number, model = 'NVIDIA GeForce RTX 4090'): GpuResource {
  return {
    vendor: 'nvidia',
    model,
    memory: { kind: 'dedicated', totalBytes: memoryMiB * MIB, source: 'nvidia-smi' },
    usableBytes: Math.floor(memoryMiB * MIB * 0.9),
  };
}

export function machine(options: {
  cores: number;
  ramBytes: number;
  gpus?: GpuResource[];
  freeDiskBytes: number;
}): ResourceProfile {
  return {
    platform: 'linux',
    cpu: { model: 'Test CPU', arch: 'x64', cores: options.cores, threads: options.cores * 2, speedGhz: 3.5 },
    memory: { totalBytes: options.ramBytes, availableBytes: options.ramBytes / 2 },
    gpus: options.gpus ?? [],
    disk: {
      path: '/data',
      freeBytes: options.freeDiskBytes,
      totalBytes: options.freeDiskBytes * 2,
      mount: '/',
    },
  };
}

/** The seed's worked example as its tools report it: 64 GB installed shows as ~62 GiB; an RTX 4090 as 24,564 MiB. */
export const WORKSTATION_4090 = machine({
  cores: 16,
  ramBytes: 62 * GIB + 300 * MIB,
  gpus: [rtx(24_564)],
  freeDiskBytes: 1e12,
});

/** This build machine: 2 cores, 24 GiB (reported 25,276,063,744 B), no GPU, 82 GB free. */
export const BUILD_VM = machine({ cores: 2, ramBytes: 25_276_063_744, freeDiskBytes: 82_025_115_648 });
