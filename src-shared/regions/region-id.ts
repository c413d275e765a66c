/** The seven regions of the network. Phase 1 never routes a request outside the requester's region. */
export const REGION_IDS = [
  'asia',
  'north-america',
  'europe',
  'africa',
  'south-america',
  'oceania',
  'middle-east',
] as const;

export type RegionId = (typeof REGION_IDS)[number];

/** What a person reads in the UI for each region. */
export const REGION_LABELS: Readonly<Record<RegionId, string>> = {
  asia: 'Asia',
  'north-america': 'North America',
  europe: 'Europe',
  africa: 'Africa',
  'south-america': 'South America',
  oceania: 'Oceania',
  'middle-east': 'Middle East',
};

/** Which region to try next when a region is sparse (ref/geo-and-profiling.md A3). Not used for routing in phase 1. */
export const REGION_FALLBACK: Readonly<Record<RegionId, readonly RegionId[]>> = {
  'middle-east': ['europe', 'asia'],
  africa: ['europe'],
  'south-america': ['north-america'],
  oceania: ['asia'],
  'north-america': ['europe'],
  europe: ['north-america'],
  asia: ['oceania'],
};

export function isRegionId(value: unknown): value is RegionId {
  return typeof value === 'string' && (REGION_IDS as readonly string[]).includes(value);
}

/**
 * Reads a region the way a user types it: the id, the label, any case, spaces or underscores for dashes
 * ("Middle East", "north_america"). Returns null for anything else.
 */
export function parseRegionId(input: string): RegionId | null {
  const normalised = input
    .trim()
    .toLowerCase()
    .replace(/[\s_]+/g, '-');
  return isRegionId(normalised) ? normalised : null;
}
