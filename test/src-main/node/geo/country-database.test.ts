import { beforeAll, describe, expect, it } from 'vitest';
import { CountryDatabase } from '../../../../src-main/node/geo/country-database.ts';
import { CountryDatabaseClosedError } from '../../../../src-main/node/geo/errors.ts';
import { parsePublicIp } from '../../../../src-main/node/geo/ip-address.ts';
import { countryToRegion } from '../../../../src-shared/regions/index.ts';

let database: CountryDatabase;
beforeAll(async () => {
  database = await CountryDatabase.open();
});

const regionOf = (ip: string) => countryToRegion(database.lookupCountry(parsePublicIp(ip)));

describe('CountryDatabase (the bundled DB-IP file, real lookups)', () => {
  it('places one address of every region', () => {
    expect(regionOf('203.177.0.1')).toBe('asia');
    expect(regionOf('8.8.8.8')).toBe('north-america');
    expect(regionOf('81.2.69.160')).toBe('europe');
    expect(regionOf('41.0.0.1')).toBe('africa');
    expect(regionOf('200.160.0.1')).toBe('south-america');
    expect(regionOf('1.128.0.1')).toBe('oceania');
    expect(regionOf('5.36.0.1')).toBe('middle-east');
  });

  it('looks up IPv6 and IPv4-mapped addresses', () => {
    expect(regionOf('2a00:1450:4001:80b::200e')).toBe('europe');
    expect(regionOf('::ffff:8.8.8.8')).toBe('north-america');
  });

  it('knows when it was built', () => {
    expect(database.builtAt.getUTCFullYear()).toBeGreaterThanOrEqual(2026);
  });

  it('hands the file’s memory back as soon as it is closed, and refuses lookups after that', async () => {
    const before = process.memoryUsage().arrayBuffers;
    const opened = await CountryDatabase.open();
    const held = process.memoryUsage().arrayBuffers - before;
    expect(held).toBeGreaterThan(4 * 2 ** 20); // the whole file (~8 MB)
    expect(opened.lookupCountry(parsePublicIp('8.8.8.8'))).toBe('US');
    opened.close();
    // No collection in between: the memory is released by close() itself, not whenever V8 next collects.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(held / 8);
    expect(() => opened.lookupCountry(parsePublicIp('8.8.8.8'))).toThrow(CountryDatabaseClosedError);
    opened.close(); // twice is harmless
  });

  it('fails clearly when the file is missing', async () => {
    await expect(CountryDatabase.open('/nonexistent/db.mmdb')).rejects.toThrow(
      'cannot open the country database',
    );
  });
});
