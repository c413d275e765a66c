// What the computer has and which model tiers it qualifies for, with the reason for every "no".
import { array, boolean, nullable, number, object, string, type Infer } from './schema.ts';

const gigabytes = number({ min: 0, max: 1_000_000 });

/** Tier ids as the network config names them (model-a … model-d today; the config may add more). */
export const tierIdSchema = string({ max: 32, pattern: /^model-[a-z]$/ });

export const resourceProfileSchema = object({
  cpuModel: string({ max: 200 }),
  cpuCores: number({ min: 0, max: 4096, integer: true }),
  ramGb: gigabytes,
  /** The largest single GPU, or null when there is none the engines can use. */
  gpu: nullable(
    object({
      name: string({ max: 200 }),
      memoryGb: gigabytes,
      /** Apple Silicon shares RAM with the GPU: memoryGb is then the usable share of it. */
      unifiedMemory: boolean(),
    }),
  ),
  diskFreeGb: gigabytes,
  os: string({ max: 100 }),
});
export type ResourceProfile = Infer<typeof resourceProfileSchema>;

export const tierQualificationSchema = object({
  tier: tierIdSchema,
  /** "Model C" */
  label: string({ max: 60 }),
  /** "Llama 3.1 70B", "Mixtral 8x7B" */
  examples: array(string({ max: 80 }), { max: 8 }),
  qualified: boolean(),
  /** Empty when qualified; otherwise one line per failed requirement: "needs 48 GB GPU memory, has 24 GB". */
  reasons: array(string({ max: 200 }), { max: 8 }),
});
export type TierQualification = Infer<typeof tierQualificationSchema>;

export const resourcesSchema = object({
  /** Null while the first scan is still running. */
  profile: nullable(resourceProfileSchema),
  tiers: array(tierQualificationSchema, { max: 16 }),
});
export type Resources = Infer<typeof resourcesSchema>;
