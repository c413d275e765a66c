// Country → region. countries-list gives each ISO 3166-1 code a continent; the overrides encode the
// borderline choices explained in ref/geo-and-profiling.md A3 (networks that face Europe go to Europe).
import { countries } from 'countries-list';
import type { RegionId } from './region-id.ts';

const CONTINENT_REGION: Readonly<Record<string, RegionId>> = {
  AF: 'africa',
  AS: 'asia',
  EU: 'europe',
  NA: 'north-america',
  SA: 'south-america',
  OC: 'oceania',
};

/** The Middle East is no continent, so it is listed explicitly (Egypt included, Turkey and Cyprus not). */
export const MIDDLE_EAST_COUNTRIES = [
  'AE', 'BH', 'EG', 'IL', 'IQ', 'IR', 'JO', 'KW', 'LB', 'OM', 'PS', 'QA', 'SA', 'SY', 'YE',
] as const; // prettier-ignore

const OVERRIDES: Readonly<Record<string, RegionId>> = {
  ...Object.fromEntries(MIDDLE_EAST_COUNTRIES.map((code) => [code, 'middle-east' as const])),
  // Most people and nearly all hosting sit west of the Urals / in Istanbul, with transit through Europe.
  RU: 'europe',
  TR: 'europe',
  GE: 'europe',
  AM: 'europe',
  AZ: 'europe',
  // Southeast Asia (ASEAN), though countries-list files it under Oceania.
  TL: 'asia',
  // Antarctic and sub-Antarctic codes go to the nearest region that has hosts.
  AQ: 'oceania',
  HM: 'oceania',
  BV: 'africa',
  TF: 'africa',
  GS: 'south-america',
  // Pseudo-codes some databases return for regional blocks.
  AP: 'asia',
  EU: 'europe',
};

const COUNTRY_CONTINENTS = countries as Readonly<
  Record<string, { readonly continent: string; readonly name: string }>
>;

/** The region of an ISO 3166-1 alpha-2 code (any case), or null for an unknown code. */
export function countryToRegion(countryCode: string | null | undefined): RegionId | null {
  if (!countryCode) return null;
  const code = countryCode.trim().toUpperCase();
  if (!/^[A-Z]{2}$/.test(code)) return null;
  const override = OVERRIDES[code];
  if (override) return override;
  const continent = COUNTRY_CONTINENTS[code]?.continent;
  return continent ? (CONTINENT_REGION[continent] ?? null) : null;
}

/** The English name of a country code, for messages ("Philippines"); the code itself when unknown. */
export function countryName(countryCode: string): string {
  return COUNTRY_CONTINENTS[countryCode.toUpperCase()]?.name ?? countryCode.toUpperCase();
}

/** Every ISO code countries-list knows, so tests and the UI can enumerate them. */
export const COUNTRY_CODES: readonly string[] = Object.keys(COUNTRY_CONTINENTS).sort();
