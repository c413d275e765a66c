import { mkdtemp, rm, writeFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GeoService, type GeoInit } from '../../../../src-main/node/geo/geo-service.ts';
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
});
