// The contributor's choices the headless node keeps itself (DESIGN.md §10): the caps and the region override.
// One small JSON file in the data dir (locations.settings), written atomically, read strictly: a damaged file
// is ignored (the defaults apply) rather than stopping the node.
import { readFile } from 'node:fs/promises';
import { DEFAULT_SETTINGS, SETTINGS_LIMITS } from '../../../src-shared/ipc/index.ts';
import { parseRegionId, type RegionId } from '../../../src-shared/regions/index.ts';
import type { ResourceProfile } from '../../../src-shared/tiers/index.ts';
import type { RoutingInit } from '../routing/routing-service.ts';
import { writeFileAtomic } from '../storage/atomic-write.ts';

export const NODE_SETTINGS_VERSION = 1;

/** What the node applies itself; start-at-login and idle-only belong to the desktop shell. */
export interface NodeSettings {
  readonly maxConcurrentRequests: number;
  /** Share of GPU memory the engines may use, 0.1–1. */
  readonly gpuMemoryShare: number;
  /** The user's region choice; null lets the node detect it. */
  readonly regionOverride: RegionId | null;
}

export const DEFAULT_NODE_SETTINGS: NodeSettings = {
  maxConcurrentRequests: DEFAULT_SETTINGS.maxConcurrentRequests,
  gpuMemoryShare: DEFAULT_SETTINGS.gpuMemoryShare,
  regionOverride: null,
};

/** The stored settings, or null when there is no file (or it is damaged: the defaults apply then). */
export async function readNodeSettings(path: string): Promise<NodeSettings | null> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return null;
  }
  if (text.length > 64 * 1024) return null;
  try {
    return parseNodeSettings(JSON.parse(text));
  } catch {
    return null;
  }
}

export async function writeNodeSettings(path: string, settings: NodeSettings): Promise<void> {
  const stored = { version: NODE_SETTINGS_VERSION, ...settings };
  await writeFileAtomic(path, `${JSON.stringify(stored, null, 2)}\n`, 0o600);
}

function parseNodeSettings(value: unknown): NodeSettings | null {
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  if (record.version !== NODE_SETTINGS_VERSION) return null;
  const { maxConcurrentRequests, gpuMemoryShare, regionOverride } = record;
  const limits = SETTINGS_LIMITS;
  if (
    typeof maxConcurrentRequests !== 'number' ||
    !Number.isInteger(maxConcurrentRequests) ||
    maxConcurrentRequests < limits.maxConcurrentRequests.min ||
    maxConcurrentRequests > limits.maxConcurrentRequests.max
  )
    return null;
  if (
    typeof gpuMemoryShare !== 'number' ||
    !(gpuMemoryShare >= limits.gpuMemoryShare.min && gpuMemoryShare <= limits.gpuMemoryShare.max)
  )
    return null;
  const region = typeof regionOverride === 'string' ? parseRegionId(regionOverride) : null;
  if (regionOverride !== null && region === null) return null;
  return { maxConcurrentRequests, gpuMemoryShare, regionOverride: region };
}

/**
 * The routing options with the contributor's caps applied: what the command line (or a test) set wins, the
 * stored caps fill the rest. The GPU share limits the memory EXO may offer, on machines with a GPU.
 */
export function routingInitWithCaps(
  init: RoutingInit | undefined,
  stored: NodeSettings | null,
  profile: ResourceProfile,
): RoutingInit {
  if (stored === null) return init ?? {};
  const capacityPerTier = init?.capacityPerTier ?? stored.maxConcurrentRequests;
  const engine = init?.engine ?? { kind: 'exo' as const };
  const gpuBytes = largestGpuBytes(profile);
  const memoryMb =
    (engine.kind === 'exo' || engine.kind === 'auto') && engine.memoryMb === undefined && gpuBytes > 0
      ? Math.max(1, Math.floor((gpuBytes * stored.gpuMemoryShare) / (1024 * 1024)))
      : undefined;
  return {
    ...init,
    capacityPerTier,
    engine:
      engine.kind === 'auto'
        ? {
            ...engine,
            ...(memoryMb !== undefined ? { memoryMb } : {}),
            gpuShare: engine.gpuShare ?? stored.gpuMemoryShare,
          }
        : memoryMb !== undefined && engine.kind === 'exo'
          ? { ...engine, memoryMb }
          : engine.kind === 'builtin' && engine.gpuShare === undefined
            ? { ...engine, gpuShare: stored.gpuMemoryShare }
            : engine,
  };
}

function largestGpuBytes(profile: ResourceProfile): number {
  let largest = 0;
  for (const gpu of profile.gpus) {
    const bytes =
      gpu.memory.kind === 'dedicated'
        ? gpu.memory.totalBytes
        : gpu.memory.kind === 'unified'
          ? gpu.memory.gpuShareBytes
          : 0;
    largest = Math.max(largest, bytes);
  }
  return largest;
}
