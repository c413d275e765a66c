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
  /**
   * Memory a model can spread over: RAM plus the largest dedicated GPU (llama.cpp splits layers between
   * them). Unified memory is the RAM itself, so it counts once.
   */
  readonly modelMemoryGb: number;
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
  let dedicatedGb = 0;
  for (const gpu of profile.gpus) {
    const gb = gpuMemoryGb(gpu);
    if (gb > best.gb) best = { gb, model: gpu.model };
    if (gpu.memory.kind === 'dedicated') dedicatedGb = Math.max(dedicatedGb, gb);
  }
  const ramGb = nominalMemoryGb(profile.memory.totalBytes);
  return {
    cpuCores: profile.cpu.cores,
    ramGb,
    modelMemoryGb: ramGb + dedicatedGb,
    gpuMemoryGb: best.gb,
    gpuModel: best.model,
    freeDiskGb: diskGb(profile.disk.freeBytes),
  };
}
