import { mkdtemp, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CountryDatabase } from '../../../../src-main/node/geo/country-database.ts';
import { CountryDatabaseClosedError } from '../../../../src-main/node/geo/errors.ts';
import { GeoService, type GeoInit } from '../../../../src-main/node/geo/geo-service.ts';
import { parsePublicIp } from '../../../../src-main/node/geo/ip-address.ts';
import { locationsFor, type Locations } from '../../../../src-main/node/locations.ts';
import type { RegionDecision } from '../../../../src-shared/regions/index.ts';

let locations: Locations;
beforeEach(async () => {
  locations = locationsFor(await mkdtemp(join(tmpdir(), 'og-geo-')));
});
afterEach(async () => {
  await rm(locations.dataDir, { recursive: true, force: true });
});

function geo(init: GeoInit = {}) {
  return new GeoService(
    { locations },
    {
      timezone: () => 'UTC',
      interfaces: () => ({ addresses: ['192.0.2.2', 'fd00::2'], vpnInterface: false }),
      ...init,
    },
  );
}

describe('GeoService', () => {
  it('starts unknown on a machine with no public address, then follows the peers’ vote', async () => {
    const service = geo();
    await service.start();
    expect(service.decision).toMatchObject({ region: null, source: 'unknown' });
    const changes: RegionDecision[] = [];
    service.addEventListener('region:changed', (event) => changes.push(event.detail));
    await service.recordObservedAddress('peer-1', '203.177.0.1');
    await service.recordObservedAddress('peer-2', '/ip4/garbage');
    await service.recordObservedAddress('peer-3', '203.177.0.1');
    expect(changes).toEqual([]);
    await service.recordObservedAddress('peer-4', '203.177.0.1');
    expect(service.decision).toMatchObject({ region: 'asia', source: 'peers', ip: '203.177.0.1' });
    expect(changes.map((change) => change.region)).toEqual(['asia']);
  });

  it('remembers a verified decision, 0600, and uses it on the next offline start', async () => {
    const first = geo();
    await first.start();
    await first.setUpnpAddress('81.2.69.160');
    expect(first.decision).toMatchObject({ region: 'europe', source: 'upnp' });
    expect((await stat(locations.geoCache)).mode & 0o777).toBe(0o600);

    const second = geo();
    await second.start();
    expect(second.decision).toMatchObject({ region: 'europe', source: 'cache', verified: false });
  });

  it('ignores a corrupt cache instead of failing', async () => {
    await writeFile(locations.geoCache, '{"version":1,"decision":{"region":"atlantis"}}');
    const service = geo({ timezone: () => 'Asia/Manila' });
    await service.start();
    expect(service.decision).toMatchObject({ region: 'asia', source: 'timezone' });
  });

  it('applies and clears the user override', async () => {
    const service = geo({ override: 'oceania' });
    await service.start();
    expect(service.decision).toMatchObject({ region: 'oceania', source: 'override' });
    await service.setOverride(null);
    expect(service.decision.source).toBe('unknown');
  });

  it('geolocates a given address, and refuses a private or malformed one', async () => {
    const service = geo({ givenIp: '5.36.0.1' });
    await service.start();
    expect(service.decision).toMatchObject({ region: 'middle-east', source: 'ip-argument', country: 'OM' });
    expect(() => geo({ givenIp: '10.1.2.3' })).toThrow('private address');
    expect(() => geo({ givenIp: '8.8.8' })).toThrow('not an IP address');
  });

  it('opens the country database only for an address it has not looked up yet, and keeps no reader', async () => {
    const opened: CountryDatabase[] = [];
    const service = geo({
      openDatabase: async (path) => {
        const database = await CountryDatabase.open(path);
        opened.push(database);
        return database;
      },
    });
    await service.start();
    expect(opened).toHaveLength(1);
    expect(service.databaseBuiltAt).toEqual(opened[0]!.builtAt);

    // Three peers agree on an address: looked up once, from a freshly opened database.
    for (const peer of ['peer-1', 'peer-2', 'peer-3', 'peer-4']) {
      await service.recordObservedAddress(peer, '203.177.0.1');
    }
    expect(service.decision).toMatchObject({ region: 'asia', source: 'peers', ip: '203.177.0.1' });
    expect(opened).toHaveLength(2);
    // The same address again, and a region override and back: answered from what was looked up.
    await service.recordObservedAddress('peer-5', '203.177.0.1');
    await service.setOverride('europe');
    await service.setOverride(null);
    expect(service.decision).toMatchObject({ region: 'asia', source: 'peers' });
    expect(opened).toHaveLength(2);
    // A new address (the router's) needs the database again.
    await service.setUpnpAddress('81.2.69.160');
    expect(service.decision).toMatchObject({ region: 'europe', source: 'upnp' });
    expect(opened).toHaveLength(3);
    // Each one was closed once used: its 8 MB are not left waiting for a garbage collection.
    for (const database of opened)
      expect(() => database.lookupCountry(parsePublicIp('8.8.8.8'))).toThrow(CountryDatabaseClosedError);
  });

  it('applies concurrent changes in the order they were made', async () => {
    const service = geo();
    await service.start();
    // The router's address appears, then goes: deciding on the first would open the database (slow), the
    // second needs no lookup (fast). The decision in force is the one for the latest evidence.
    const first = service.setUpnpAddress('81.2.69.160');
    const second = service.setUpnpAddress(null);
    await Promise.all([first, second]);
    expect(service.decision).toMatchObject({ region: null, source: 'unknown' });
  });
});
