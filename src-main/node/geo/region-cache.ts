// The last verified decision, kept so a node that starts offline still knows its region for a while.
import { readFile } from 'node:fs/promises';
import {
  REGION_SOURCES,
  isRegionId,
  type RegionDecision,
  type RegionSource,
} from '../../../src-shared/regions/index.ts';
import { writeFileAtomic } from '../storage/atomic-write.ts';

const MAX_CACHE_BYTES = 4096;
const CACHE_VERSION = 1;

/** Reads the cache; a missing, oversized or malformed file is no cache (it is only a hint). */
export async function readRegionCache(path: string): Promise<RegionDecision | null> {
  let text: string;
  try {
    const bytes = await readFile(path);
    if (bytes.length > MAX_CACHE_BYTES) return null;
    text = bytes.toString('utf8');
  } catch {
    return null;
  }
  try {
    return parseRegionCache(JSON.parse(text) as unknown);
  } catch {
    return null;
  }
}

export async function writeRegionCache(path: string, decision: RegionDecision): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify({ version: CACHE_VERSION, decision })}\n`, 0o600);
}

function parseRegionCache(value: unknown): RegionDecision | null {
  if (!isRecord(value) || value.version !== CACHE_VERSION || !isRecord(value.decision)) return null;
  const d = value.decision;
  const source = d.source;
  if (
    !isRegionId(d.region) ||
    typeof source !== 'string' ||
    !(REGION_SOURCES as readonly string[]).includes(source)
  ) {
    return null;
  }
  if (typeof d.decidedAt !== 'string' || Number.isNaN(Date.parse(d.decidedAt))) return null;
  const text = (field: unknown, max: number) =>
    typeof field === 'string' && field.length <= max ? field : null;
  return {
    region: d.region,
    source: source as RegionSource,
    ip: text(d.ip, 64),
    country: text(d.country, 2),
    detail: text(d.detail, 300) ?? '',
    verified: d.verified === true,
    vpnSuspected: d.vpnSuspected === true,
    decidedAt: d.decidedAt,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
