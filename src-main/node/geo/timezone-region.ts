// The offline last resort: the system timezone's country. Unverified (a traveller's laptop, a server on UTC).
import ct from 'countries-and-timezones';
import { countryToRegion, type RegionId } from '../../../src-shared/regions/index.ts';

export interface TimezoneGuess {
  readonly timezone: string;
  readonly country: string;
  readonly region: RegionId;
}

export function systemTimezone(): string {
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
