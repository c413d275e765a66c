// The node's region and how it was decided (DESIGN.md §3 geo), with the user's override.
import { REGION_IDS } from '../regions/region-id.ts';
import { boolean, nullable, object, oneOf, optional, string, type Infer } from './schema.ts';

export const regionIdSchema = oneOf(REGION_IDS);

/** How the region was decided, strongest evidence first. */
export const REGION_SOURCES = [
  'override',
  'peers',
  'upnp',
  'interface',
  'cache',
  'timezone',
  'unknown',
] as const;
export type RegionSource = (typeof REGION_SOURCES)[number];

export const regionInfoSchema = object({
  /** Null until the first decision. */
  region: nullable(regionIdSchema),
  source: oneOf(REGION_SOURCES),
  /** ISO 3166 alpha-2 of the address that decided it, when there was one. */
  country: nullable(string({ max: 2, pattern: /^[A-Z]{2}$/ })),
  /** One line for a person: "3 peers saw your public address". */
  detail: nullable(string({ max: 300 })),
  /** False when the region is a guess (time zone, an old cache, nothing): the UI offers to choose it. */
  verified: optional(boolean()),
  /** A VPN interface is up, or the evidence disagrees: the region may be the VPN's, not the user's. */
  vpnSuspected: optional(boolean()),
});
export type RegionInfo = Infer<typeof regionInfoSchema>;

export const setRegionInputSchema = object({
  /** Null removes the override and lets the node detect the region again. */
  region: nullable(regionIdSchema),
});
