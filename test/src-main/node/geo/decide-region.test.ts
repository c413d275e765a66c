import { describe, expect, it } from 'vitest';
import { decideRegion, type RegionEvidence } from '../../../../src-main/node/geo/decide-region.ts';
import { normaliseIp } from '../../../../src-main/node/geo/ip-address.ts';
import type { RegionDecision } from '../../../../src-shared/regions/index.ts';

const COUNTRIES: Record<string, string> = { '203.177.0.1': 'PH', '81.2.69.160': 'GB', '8.8.8.8': 'US' };
const lookup = (ip: { address: string }) => COUNTRIES[ip.address] ?? null;
const NOW = Date.parse('2026-11-28T12:00:00Z');
const DAY = 24 * 60 * 60_000;

function evidence(overrides: Partial<RegionEvidence> = {}): RegionEvidence {
  return {
    override: null,
    givenIp: null,
    peers: null,
    upnpIp: null,
    interfaceIps: [],
    cache: null,
    timezone: 'UTC',
    vpnInterface: false,
    now: NOW,
    ...overrides,
  };
}

const peersSaw = (address: string, votes = 3, reporters = 3) => ({
  winner: normaliseIp(address),
  votes,
  reporters,
  split: votes !== reporters,
});

const cached = (region: RegionDecision['region'], ageMs: number): RegionDecision => ({
  region,
  source: 'peers',
  ip: '203.177.0.1',
  country: 'PH',
  detail: 'x',
  verified: true,
  vpnSuspected: false,
  decidedAt: new Date(NOW - ageMs).toISOString(),
});

describe('decideRegion', () => {
  it('the user override wins over everything, and still says what the address looks like', () => {
    const decision = decideRegion(evidence({ override: 'europe', peers: peersSaw('203.177.0.1') }), lookup);
    expect(decision).toMatchObject({
      region: 'europe',
      source: 'override',
      ip: '203.177.0.1',
      country: 'PH',
    });
    expect(decision.detail).toContain('Asia');
  });

  it('an address given on the command line comes next', () => {
    const decision = decideRegion(
      evidence({ givenIp: normaliseIp('81.2.69.160'), peers: peersSaw('203.177.0.1') }),
      lookup,
    );
    expect(decision).toMatchObject({
      region: 'europe',
      source: 'ip-argument',
      country: 'GB',
      verified: true,
    });
  });

  it('UPnP beats interfaces, which beat peers: votes cannot outrank the router or the machine (finding 15)', () => {
    const all = evidence({
      peers: peersSaw('203.177.0.1'),
      upnpIp: '81.2.69.160',
      interfaceIps: ['8.8.8.8'],
    });
    expect(decideRegion(all, lookup)).toMatchObject({ region: 'europe', source: 'upnp' });
    expect(decideRegion({ ...all, upnpIp: null }, lookup)).toMatchObject({
      region: 'north-america',
      source: 'interface',
    });
    expect(decideRegion({ ...all, upnpIp: null, interfaceIps: [] }, lookup)).toMatchObject({
      region: 'asia',
      source: 'peers',
    });
  });

  it('explains the peer vote in words', () => {
    const decision = decideRegion(evidence({ peers: peersSaw('203.177.0.1', 3, 4) }), lookup);
    expect(decision.detail).toBe('3 of 4 peers see this node at 203.177.0.1 (Philippines)');
  });

  it('skips private interface addresses and CGNAT router addresses', () => {
    const decision = decideRegion(
      evidence({ upnpIp: '100.64.0.1', interfaceIps: ['192.168.1.2', 'fe80::1', '127.0.0.1'] }),
      lookup,
    );
    expect(decision.source).toBe('unknown');
  });

  it('falls back to the cache for up to 7 days, marked unverified', () => {
    expect(decideRegion(evidence({ cache: cached('asia', 6 * DAY) }), lookup)).toMatchObject({
      region: 'asia',
      source: 'cache',
      verified: false,
    });
    expect(decideRegion(evidence({ cache: cached('asia', 8 * DAY) }), lookup).source).toBe('unknown');
  });

  it('then guesses from the timezone, marked unverified', () => {
    expect(decideRegion(evidence({ timezone: 'Asia/Manila' }), lookup)).toMatchObject({
      region: 'asia',
      source: 'timezone',
      country: 'PH',
      verified: false,
    });
    expect(decideRegion(evidence({ timezone: 'Africa/Cairo' }), lookup).region).toBe('middle-east');
  });

  it('is unknown with no evidence at all (a server on UTC, offline)', () => {
    expect(decideRegion(evidence(), lookup)).toMatchObject({ region: null, source: 'unknown' });
  });

  it('suspects a VPN when the timezone and the address disagree, or a tunnel interface is up', () => {
    expect(
      decideRegion(evidence({ peers: peersSaw('81.2.69.160'), timezone: 'Asia/Manila' }), lookup)
        .vpnSuspected,
    ).toBe(true);
    expect(
      decideRegion(evidence({ peers: peersSaw('203.177.0.1'), timezone: 'Asia/Manila' }), lookup)
        .vpnSuspected,
    ).toBe(false);
    expect(decideRegion(evidence({ vpnInterface: true }), lookup).vpnSuspected).toBe(true);
  });

  it('suspects a VPN when peers split between addresses (split tunnel)', () => {
    expect(decideRegion(evidence({ peers: peersSaw('203.177.0.1', 3, 5) }), lookup).vpnSuspected).toBe(true);
  });

  it('moves on when the database does not know the address', () => {
    const decision = decideRegion(evidence({ peers: peersSaw('9.9.9.9'), upnpIp: '81.2.69.160' }), lookup);
    expect(decision.source).toBe('upnp');
  });
});
