// The contributor's choices the headless node keeps itself (DESIGN.md §10): the caps, the region override and
// which engine serves each tier.
// One small JSON file in the data dir (locations.settings), written atomically, read strictly: a damaged file
// is ignored (the defaults apply) rather than stopping the node.
import { readFile } from 'node:fs/promises';
import { DEFAULT_SETTINGS, SETTINGS_LIMITS } from '../../../src-shared/ipc/index.ts';
import { parseRegionId, type RegionId } from '../../../src-shared/regions/index.ts';
import { TIER_ID_PATTERN, type ResourceProfile } from '../../../src-shared/tiers/index.ts';
import type { EngineKind } from '../engine/engine.ts';
import type { RoutingInit } from '../routing/routing-service.ts';
import { writeFileAtomic } from '../storage/atomic-write.ts';

/** Version 2 added the per-tier engine choice and the OpenAI-compatible server (version 1 files migrate). */
export const NODE_SETTINGS_VERSION = 2;

/** An OpenAI-compatible server the contributor runs (Ollama, llama-server, LM Studio, vLLM). */
export interface EngineServer {
  /** Its API base, http(s) (`http://127.0.0.1:11434/v1`). */
  readonly baseUrl: string;
  /** The model it should answer with; null: the server's first. */
  readonly model: string | null;
}

/** A server address: http(s), no spaces, no credentials in it (a key belongs in the environment). */
export function isEngineServerUrl(url: string): boolean {
  if (url.length > 500 || !/^https?:\/\/\S+$/.test(url) || !URL.canParse(url)) return false;
  const parsed = new URL(url);
  return parsed.username === '' && parsed.password === '';
}

/** What the node applies itself; start-at-login and idle-only belong to the desktop shell. */
export interface NodeSettings {
  readonly maxConcurrentRequests: number;
  /** Share of GPU memory the engines may use, 0.1–1. */
  readonly gpuMemoryShare: number;
  /** The user's region choice; null lets the node detect it. */
  readonly regionOverride: RegionId | null;
  /** Tiers whose engine the contributor chose; a tier not listed is `auto`. */
  readonly tierEngines: Readonly<Record<string, EngineKind>>;
  readonly engineServer: EngineServer | null;
  /** Upload cap for seeding model files to peers, bytes/s (0: none); absent: the modest default. */
  readonly uploadBytesPerSecond?: number;
}

/** The highest upload cap a settings file may hold (10 GB/s): above it the file is damaged. */
export const MAX_UPLOAD_BYTES_PER_SECOND = 1e10;

export const DEFAULT_NODE_SETTINGS: NodeSettings = {
  maxConcurrentRequests: DEFAULT_SETTINGS.maxConcurrentRequests,
  gpuMemoryShare: DEFAULT_SETTINGS.gpuMemoryShare,
  regionOverride: null,
  tierEngines: {},
  engineServer: null,
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
  // Version 1 had no engine choices: every tier was `auto`.
  if (record.version !== NODE_SETTINGS_VERSION && record.version !== 1) return null;
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
  const tierEngines = record.version === 1 ? {} : parseTierEngines(record.tierEngines);
  const engineServer = record.version === 1 ? null : parseEngineServer(record.engineServer);
  if (tierEngines === null || engineServer === undefined) return null;
  const upload = record.uploadBytesPerSecond;
  if (
    upload !== undefined &&
    (typeof upload !== 'number' ||
      !Number.isInteger(upload) ||
      upload < 0 ||
      upload > MAX_UPLOAD_BYTES_PER_SECOND)
  )
    return null;
  return {
    maxConcurrentRequests,
    gpuMemoryShare,
    regionOverride: region,
    tierEngines,
    engineServer,
    ...(upload !== undefined ? { uploadBytesPerSecond: upload } : {}),
  };
}

const ENGINE_KINDS: readonly string[] = ['builtin', 'exo', 'openai'];

function parseTierEngines(value: unknown): Record<string, EngineKind> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const entries = Object.entries(value);
  if (entries.length > 16) return null;
  const out: Record<string, EngineKind> = {};
  for (const [tier, kind] of entries) {
    if (!TIER_ID_PATTERN.test(tier) || typeof kind !== 'string' || !ENGINE_KINDS.includes(kind)) return null;
    out[tier] = kind as EngineKind;
  }
  return out;
}

/** The server, null when none is set, undefined when the stored value is damaged. */
function parseEngineServer(value: unknown): EngineServer | null | undefined {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const { baseUrl, model, ...rest } = value as Record<string, unknown>;
  if (Object.keys(rest).length > 0 || typeof baseUrl !== 'string' || !isEngineServerUrl(baseUrl))
    return undefined;
  if (model !== null && (typeof model !== 'string' || model.length === 0 || model.length > 200))
    return undefined;
  return { baseUrl, model };
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
  const chosen = {
    ...(Object.keys(stored.tierEngines).length > 0 ? { chosenTierEngines: stored.tierEngines } : {}),
    ...(stored.engineServer !== null ? { engineServer: stored.engineServer } : {}),
  };
  const capacityPerTier = init?.capacityPerTier ?? stored.maxConcurrentRequests;
  const engine = init?.engine ?? { kind: 'exo' as const };
  const gpuBytes = largestGpuBytes(profile);
  const memoryMb =
    (engine.kind === 'exo' || engine.kind === 'auto') && engine.memoryMb === undefined && gpuBytes > 0
      ? Math.max(1, Math.floor((gpuBytes * stored.gpuMemoryShare) / (1024 * 1024)))
      : undefined;
  return {
    ...init,
    ...chosen,
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
