// The machine as a person describes it: "16 cores, 64 GB RAM, a 24 GB GPU, 1 TB free".
import type { GpuResource, ResourceProfile } from './resource-profile.ts';
import { diskGb, measuredMemoryGb, nominalMemoryGb } from './nominal-size.ts';

export interface MachineSizes {
  readonly cpuCores: number;
  readonly ramGb: number;
  /** Memory of the largest single GPU (Apple Silicon: the GPU's share of unified memory); 0 when none. */
  readonly gpuMemoryGb: number;
  /** The GPU that size belongs to, for messages; null when there is none. */
  readonly gpuModel: string | null;
  readonly freeDiskGb: number;
}

/** GPU memory that counts for qualification. Engines do not pool GPUs, so only one GPU counts. */
export function gpuMemoryGb(gpu: GpuResource): number {
  switch (gpu.memory.kind) {
    case 'dedicated':
      return nominalMemoryGb(gpu.memory.totalBytes);
    case 'unified':
      return measuredMemoryGb(gpu.memory.gpuShareBytes);
    case 'unknown':
      return 0;
  }
}

export function machineSizes(profile: ResourceProfile): MachineSizes {
  let best: { gb: number; model: string | null } = { gb: 0, model: null };
  for (const gpu of profile.gpus) {
    const gb = gpuMemoryGb(gpu);
    if (gb > best.gb) best = { gb, model: gpu.model };
  }
  return {
    cpuCores: profile.cpu.cores,
    ramGb: nominalMemoryGb(profile.memory.totalBytes),
    gpuMemoryGb: best.gb,
    gpuModel: best.model,
    freeDiskGb: diskGb(profile.disk.freeBytes),
  };
}
