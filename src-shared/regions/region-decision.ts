import type { RegionId } from './region-id.ts';

/** How the node's region was decided, strongest evidence first. */
export const REGION_SOURCES = [
  'override', // the user chose it
  'ip-argument', // an address given on the command line (testing, checking a VPN)
  'peers', // a majority of peers saw the same public address
  'upnp', // the router's external address
  'interface', // a public address on a network interface
  'cache', // the last decision, while nothing better is known
  'timezone', // the system timezone's country: unverified
  'unknown',
] as const;

export type RegionSource = (typeof REGION_SOURCES)[number];

/** The region the node works in, and how it was found. Plain JSON: the UI shows it as it is. */
export interface RegionDecision {
  /** null only when source is 'unknown': the node then joins no cluster. */
  readonly region: RegionId | null;
  readonly source: RegionSource;
  /** The public address that decided it, when one did. */
  readonly ip: string | null;
  /** ISO country code of that address or timezone. */
  readonly country: string | null;
  /** One sentence for people: "3 of 4 peers see this node at 203.177.0.1 (Philippines)". */
  readonly detail: string;
  /** False for guesses (timezone) and stale knowledge (cache). */
  readonly verified: boolean;
  /** The evidence disagrees in a way a VPN explains; the UI offers to change the region. */
  readonly vpnSuspected: boolean;
  /** ISO 8601. */
  readonly decidedAt: string;
}
