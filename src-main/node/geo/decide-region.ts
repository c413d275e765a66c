// The region decision (ref/geo-and-profiling.md A4): the strongest available evidence wins. Pure, so every
// rule is a unit test; the geo service gathers the evidence.
import {
  REGION_LABELS,
  countryName,
  countryToRegion,
  type RegionDecision,
  type RegionId,
  type RegionSource,
} from '../../../src-shared/regions/index.ts';
import { publicIpOrNull, type NormalisedIp } from './ip-address.ts';
import type { PeerVoteOutcome } from './peer-address-vote.ts';
import { regionFromTimezone } from './timezone-region.ts';

export interface RegionEvidence {
  readonly override: RegionId | null;
  readonly givenIp: NormalisedIp | null;
  readonly peers: PeerVoteOutcome | null;
  readonly upnpIp: string | null;
  readonly interfaceIps: readonly string[];
  readonly cache: RegionDecision | null;
  readonly timezone: string | null;
  /** A VPN-like interface (tun, wg, utun, ppp, tap) is up. */
  readonly vpnInterface: boolean;
  readonly now: number;
}

/** Maps a public address to a country code; the MMDB in the node, a table in tests. */
export type CountryLookup = (ip: NormalisedIp) => string | null;

export const CACHE_MAX_AGE_MS = 7 * 24 * 60 * 60_000;

interface Located {
  readonly source: RegionSource;
  readonly ip: NormalisedIp;
  readonly country: string;
  readonly region: RegionId;
  readonly detail: string;
}

export function decideRegion(evidence: RegionEvidence, lookup: CountryLookup): RegionDecision {
  const decidedAt = new Date(evidence.now).toISOString();
  const located = locate(evidence, lookup);
  const zone = evidence.timezone ? regionFromTimezone(evidence.timezone) : null;
  const vpnSuspected =
    evidence.vpnInterface ||
    Boolean(evidence.peers?.split && located?.source === 'peers') ||
    Boolean(located && zone && zone.region !== located.region);

  if (evidence.override) {
    const found = located
      ? ` (this address, ${located.ip.address}, looks like ${REGION_LABELS[located.region]})`
      : '';
    return {
      region: evidence.override,
      source: 'override',
      ip: located?.ip.address ?? null,
      country: located?.country ?? null,
      detail: `Chosen in settings${found}`,
      verified: true,
      vpnSuspected,
      decidedAt,
    };
  }
  if (located) {
    return {
      region: located.region,
      source: located.source,
      ip: located.ip.address,
      country: located.country,
      detail: located.detail,
      verified: true,
      vpnSuspected,
      decidedAt,
    };
  }
  const cache = evidence.cache;
  if (cache?.region && evidence.now - Date.parse(cache.decidedAt) <= CACHE_MAX_AGE_MS) {
    return {
      ...cache,
      source: 'cache',
      detail: `Last known region (from ${cache.decidedAt.slice(0, 10)}): no fresh evidence yet`,
      verified: false,
      vpnSuspected: cache.vpnSuspected,
      decidedAt: cache.decidedAt,
    };
  }
  if (zone) {
    return {
      region: zone.region,
      source: 'timezone',
      ip: null,
      country: zone.country,
      detail: `Guessed from the timezone ${zone.timezone} (${countryName(zone.country)}); not verified`,
      verified: false,
      vpnSuspected: evidence.vpnInterface,
      decidedAt,
    };
  }
  return {
    region: null,
    source: 'unknown',
    ip: null,
    country: null,
    detail: 'No public address is known yet and the timezone does not name a country',
    verified: false,
    vpnSuspected: evidence.vpnInterface,
    decidedAt,
  };
}

function locate(evidence: RegionEvidence, lookup: CountryLookup): Located | null {
  const candidates: Array<{
    source: RegionSource;
    ip: NormalisedIp | null;
    detail: (where: string) => string;
  }> = [
    {
      source: 'ip-argument',
      ip: evidence.givenIp,
      detail: (where) => `Looked up ${where}, the address given`,
    },
    {
      source: 'upnp',
      ip: evidence.upnpIp ? publicIpOrNull(evidence.upnpIp) : null,
      detail: (where) => `The router reports the public address ${where}`,
    },
    ...evidence.interfaceIps.map((raw) => ({
      source: 'interface' as const,
      ip: publicIpOrNull(raw),
      detail: (where: string) => `This machine has the public address ${where}`,
    })),
    // Peers' votes come after what the router and this machine say of themselves: votes can be bought with
    // Sybils (finding 15), the router's and the interface's public address cannot.
    {
      source: 'peers',
      ip: evidence.peers?.winner ?? null,
      detail: (where) =>
        `${evidence.peers?.votes} of ${evidence.peers?.reporters} peers see this node at ${where}`,
    },
  ];
  for (const candidate of candidates) {
    if (!candidate.ip) continue;
    const country = lookup(candidate.ip);
    const region = countryToRegion(country);
    if (!country || !region) continue;
    const where = `${candidate.ip.address} (${countryName(country)})`;
    return { source: candidate.source, ip: candidate.ip, country, region, detail: candidate.detail(where) };
  }
  return null;
}
