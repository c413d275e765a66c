import { describe, expect, it } from 'vitest';
import {
  COUNTRY_CODES,
  MIDDLE_EAST_COUNTRIES,
  REGION_IDS,
  countryToRegion,
  parseRegionId,
} from '../../../src-shared/regions/index.ts';

describe('countryToRegion', () => {
  it('maps every ISO code countries-list knows to one of the seven regions', () => {
    expect(COUNTRY_CODES.length).toBeGreaterThanOrEqual(249);
    const unmapped = COUNTRY_CODES.filter((code) => countryToRegion(code) === null);
    expect(unmapped).toEqual([]);
    for (const code of COUNTRY_CODES) expect(REGION_IDS).toContain(countryToRegion(code));
  });

  it('puts the Middle East in its own region, Egypt included', () => {
    for (const code of MIDDLE_EAST_COUNTRIES) expect(countryToRegion(code)).toBe('middle-east');
    expect(countryToRegion('EG')).toBe('middle-east');
  });

  it('follows the reference for borderline countries', () => {
    expect(countryToRegion('TR')).toBe('europe');
    expect(countryToRegion('RU')).toBe('europe');
    expect(countryToRegion('CY')).toBe('europe');
    expect(countryToRegion('GE')).toBe('europe');
    expect(countryToRegion('TL')).toBe('asia');
    expect(countryToRegion('MX')).toBe('north-america');
    expect(countryToRegion('PA')).toBe('north-america');
    expect(countryToRegion('CO')).toBe('south-america');
    expect(countryToRegion('MA')).toBe('africa');
    expect(countryToRegion('AQ')).toBe('oceania');
  });

  it('counts the regions as the reference table does', () => {
    const counts = new Map<string, number>();
    for (const code of COUNTRY_CODES) {
      const region = countryToRegion(code) ?? 'none';
      counts.set(region, (counts.get(region) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({
      asia: 35,
      'north-america': 41,
      europe: 57,
      africa: 61,
      'south-america': 15,
      oceania: 28,
      'middle-east': 15,
    });
  });

  it('accepts any case and refuses unknown or malformed codes', () => {
    expect(countryToRegion('ph')).toBe('asia');
    expect(countryToRegion('AP')).toBe('asia');
    expect(countryToRegion('ZZ')).toBeNull();
    expect(countryToRegion('USA')).toBeNull();
    expect(countryToRegion('')).toBeNull();
    expect(countryToRegion(null)).toBeNull();
  });
});

describe('parseRegionId', () => {
  it('reads ids and labels the way users type them', () => {
    expect(parseRegionId('asia')).toBe('asia');
    expect(parseRegionId('Middle East')).toBe('middle-east');
    expect(parseRegionId(' north_america ')).toBe('north-america');
    expect(parseRegionId('atlantis')).toBeNull();
    expect(parseRegionId('')).toBeNull();
  });
});
