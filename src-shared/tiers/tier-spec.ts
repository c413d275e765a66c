// The tier table is data, not code: it moves into the signed network config, so the network can refine
// requirements and models without an app release.

/** Requirements and models of one tier. Sizes in GB as a person says them (GiB for memory, 10^9 B for disk). */
export interface TierSpec {
  /** Stable id used in topics and the API ("model-a"). */
  readonly id: string;
  /** What the UI shows ("Model A"). */
  readonly label: string;
  /** Models of this class, for people ("Llama 3.1 8B"). */
  readonly exampleModels: readonly string[];
  readonly minCpuCores: number;
  readonly minRamGb: number;
  /** Largest single GPU's memory; null when the tier runs on the CPU. */
  readonly minGpuMemoryGb: number | null;
  /** Not required, but the tier is slow without it. */
  readonly recommendedGpuMemoryGb: number | null;
  readonly minFreeDiskGb: number;
  /** The model each engine loads for this tier. */
  readonly engineModels: { readonly exo: string };
}

/** Tier ids travel in topic names: lower-case, short, no slashes. */
export const TIER_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

/** The launch table (DESIGN.md §6). The network config carries the authoritative copy. */
export const DEFAULT_TIERS: readonly TierSpec[] = [
  {
    id: 'model-a',
    label: 'Model A',
    exampleModels: ['Llama 3.1 8B', 'Phi-3 Mini'],
    minCpuCores: 4,
    minRamGb: 8,
    minGpuMemoryGb: null,
    recommendedGpuMemoryGb: null,
    minFreeDiskGb: 20,
    engineModels: { exo: 'mlx-community/Meta-Llama-3.1-8B-Instruct-4bit' },
  },
  {
    id: 'model-b',
    label: 'Model B',
    exampleModels: ['Mistral 7B', 'Gemma 7B'],
    minCpuCores: 4,
    minRamGb: 12,
    minGpuMemoryGb: null,
    recommendedGpuMemoryGb: 8,
    minFreeDiskGb: 30,
    engineModels: { exo: 'mlx-community/Meta-Llama-3.1-8B-Instruct-8bit' },
  },
  {
    id: 'model-c',
    label: 'Model C',
    exampleModels: ['Llama 3.1 70B', 'Mixtral 8x7B'],
    minCpuCores: 8,
    minRamGb: 32,
    minGpuMemoryGb: 24,
    recommendedGpuMemoryGb: null,
    minFreeDiskGb: 150,
    engineModels: { exo: 'mlx-community/Llama-3.3-70B-Instruct-4bit' },
  },
  {
    id: 'model-d',
    label: 'Model D',
    exampleModels: ['DeepSeek V3', 'Llama 3.1 405B'],
    minCpuCores: 16,
    minRamGb: 64,
    minGpuMemoryGb: 48,
    recommendedGpuMemoryGb: null,
    minFreeDiskGb: 500,
    engineModels: { exo: 'mlx-community/DeepSeek-V3.1-4bit' },
  },
];
