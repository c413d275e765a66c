// The tier table is data, not code: it moves into the signed network config, so the network can refine
// requirements and models without an app release.
import type { TierModels } from './tier-models.ts';

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
  /** The model each engine loads for this tier, with its files and what it needs (the model catalog). */
  readonly engineModels: TierModels;
}

/** Tier ids travel in topic names: lower-case, short, no slashes. */
export const TIER_ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;

const GIB = 2 ** 30;
/** llama.cpp's KV cache (f16) at 8,192 tokens: Llama 3.1 8B (32 layers × 8 KV heads × 128) and 70B (80 layers). */
const KV_8B_8K = 8192 * 2 * 32 * 8 * 128 * 2;
const KV_70B_8K = 8192 * 2 * 80 * 8 * 128 * 2;
/** Compute buffers and runtime overhead beside weights and KV cache (a conservative allowance). */
const RUNTIME_8B = GIB / 2;
const RUNTIME_70B = GIB;

/** bartowski's GGUF conversions of Llama 3.1 8B Instruct, pinned to one revision so the hashes hold. */
const LLAMA_31_8B_GGUF =
  'https://huggingface.co/bartowski/Meta-Llama-3.1-8B-Instruct-GGUF/resolve/bf5b95e96dac0462e2a09145ec66cae9a3f12067';

// The published GGUF files (Hugging Face, bartowski): each size and hash written once, here.
const LLAMA_31_8B_Q4_K_M = {
  name: 'Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf',
  urls: [`${LLAMA_31_8B_GGUF}/Meta-Llama-3.1-8B-Instruct-Q4_K_M.gguf`],
  sizeBytes: 4_920_739_232,
  sha256: '7b064f5842bf9532c91456deda288a1b672397a54fa729aa665952863033557c',
} as const;
const LLAMA_31_8B_Q8_0 = {
  name: 'Meta-Llama-3.1-8B-Instruct-Q8_0.gguf',
  urls: [`${LLAMA_31_8B_GGUF}/Meta-Llama-3.1-8B-Instruct-Q8_0.gguf`],
  sizeBytes: 8_540_775_840,
  sha256: '9da71c45c90a821809821244d4971e5e5dfad7eb091f0b8ff0546392393b6283',
} as const;

/**
 * The launch table (DESIGN.md §6); the network config carries the authoritative copy. Each tier is labelled
 * with the model it serves. Sizes and hashes of the model-a and model-b GGUF files are those published on
 * Hugging Face; EXO's needs are estimates from parameter count and bits per weight; tiers without a
 * `builtin` model wait for the founders to sign one (the built-in engine does not serve them yet).
 */
export const DEFAULT_TIERS: readonly TierSpec[] = [
  {
    id: 'model-a',
    label: 'Model A',
    exampleModels: ['Llama 3.1 8B Instruct (4-bit)'],
    minCpuCores: 4,
    minRamGb: 8,
    minGpuMemoryGb: null,
    recommendedGpuMemoryGb: null,
    minFreeDiskGb: 20,
    engineModels: {
      exo: 'mlx-community/Meta-Llama-3.1-8B-Instruct-4bit',
      exoNeeds: { memoryBytes: 4_520_000_000 + KV_8B_8K + RUNTIME_8B, diskBytes: 4_520_000_000 },
      builtin: {
        format: 'gguf',
        id: 'llama-3.1-8b-instruct-q4_k_m',
        quantization: 'Q4_K_M',
        contextLength: 8192,
        memoryBytes: LLAMA_31_8B_Q4_K_M.sizeBytes + KV_8B_8K + RUNTIME_8B,
        files: [{ ...LLAMA_31_8B_Q4_K_M, urls: [...LLAMA_31_8B_Q4_K_M.urls] }],
      },
    },
  },
  {
    id: 'model-b',
    label: 'Model B',
    exampleModels: ['Llama 3.1 8B Instruct (8-bit)'],
    minCpuCores: 4,
    minRamGb: 12,
    minGpuMemoryGb: null,
    recommendedGpuMemoryGb: 8,
    minFreeDiskGb: 30,
    engineModels: {
      exo: 'mlx-community/Meta-Llama-3.1-8B-Instruct-8bit',
      exoNeeds: { memoryBytes: 8_540_000_000 + KV_8B_8K + RUNTIME_8B, diskBytes: 8_540_000_000 },
      builtin: {
        format: 'gguf',
        id: 'llama-3.1-8b-instruct-q8_0',
        quantization: 'Q8_0',
        contextLength: 8192,
        memoryBytes: LLAMA_31_8B_Q8_0.sizeBytes + KV_8B_8K + RUNTIME_8B,
        files: [{ ...LLAMA_31_8B_Q8_0, urls: [...LLAMA_31_8B_Q8_0.urls] }],
      },
    },
  },
  {
    id: 'model-c',
    label: 'Model C',
    exampleModels: ['Llama 3.3 70B Instruct (4-bit)'],
    minCpuCores: 8,
    minRamGb: 32,
    minGpuMemoryGb: 24,
    recommendedGpuMemoryGb: null,
    minFreeDiskGb: 150,
    engineModels: {
      exo: 'mlx-community/Llama-3.3-70B-Instruct-4bit',
      exoNeeds: { memoryBytes: 39_700_000_000 + KV_70B_8K + RUNTIME_70B, diskBytes: 39_700_000_000 },
    },
  },
  {
    id: 'model-d',
    label: 'Model D',
    // A tier-D machine (64 GB RAM + a 48 GB GPU) holds a 70B model at 8 bits; DeepSeek V3 (~380 GB at
    // 4 bits) and Llama 3.1 405B (~230 GB) fit no single machine of this tier.
    exampleModels: ['Llama 3.3 70B Instruct (8-bit)'],
    minCpuCores: 16,
    minRamGb: 64,
    minGpuMemoryGb: 48,
    recommendedGpuMemoryGb: null,
    minFreeDiskGb: 500,
    engineModels: {
      exo: 'mlx-community/Llama-3.3-70B-Instruct-8bit',
      exoNeeds: { memoryBytes: 75_000_000_000 + KV_70B_8K + RUNTIME_70B, diskBytes: 75_000_000_000 },
    },
  },
];
