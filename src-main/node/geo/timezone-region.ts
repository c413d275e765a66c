// The offline last resort: the system timezone's country. Unverified (a traveller's laptop, a server on UTC).
import { readlinkSync } from 'node:fs';
import ct from 'countries-and-timezones';
import { countryToRegion, type RegionId } from '../../../src-shared/regions/index.ts';

export interface TimezoneGuess {
  readonly timezone: string;
  readonly country: string;
  readonly region: RegionId;
}

export interface TimezoneSources {
  readonly env: NodeJS.ProcessEnv;
  /** Where /etc/localtime points, or null when it is not a link (Windows, some containers). */
  readonly localtimeLink: () => string | null;
}

const SYSTEM: TimezoneSources = {
  env: process.env,
  localtimeLink: () => {
    try {
      return readlinkSync('/etc/localtime');
    } catch {
      return null;
    }
  },
};

// An IANA name as a zoneinfo path ends: "Asia/Manila", "America/Argentina/Buenos_Aires", "UTC".
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+){0,2}$/;

/**
 * The system's IANA timezone. Where TZ is unset and /etc/localtime links into a zoneinfo folder (Linux, macOS)
 * the link names it; otherwise Intl is asked. Asking Intl first maps ~7 MB of ICU's locale data into the
 * process for as long as it runs (measured with bench/footprint.ts): a third of what an idle node adds.
 */
export function systemTimezone(sources: TimezoneSources = SYSTEM): string {
  if (sources.env.TZ === undefined) {
    const zone = /\/zoneinfo\/(?:posix\/|right\/)?(.+)$/.exec(sources.localtimeLink() ?? '')?.[1];
    // Intl names the UTC links "UTC" (containers link Etc/UTC).
    if (zone !== undefined && ZONE_NAME.test(zone))
      return /^Etc\/(UTC|UCT|Universal|Zulu)$/.test(zone) ? 'UTC' : zone;
  }
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}

/** Asia/Manila → PH → asia; UTC and unknown zones → null. */
export function regionFromTimezone(timezone: string): TimezoneGuess | null {
  if (typeof timezone !== 'string' || timezone.length > 64) return null;
  const country = ct.getCountryForTimezone(timezone)?.id;
  if (!country) return null;
  const region = countryToRegion(country);
  return region ? { timezone, country, region } : null;
}
