import { describe, expect, it } from 'vitest';
import {
  classifyAddress,
  normaliseIp,
  parsePublicIp,
  publicIpOrNull,
} from '../../../../src-main/node/geo/ip-address.ts';

describe('normaliseIp', () => {
  it('unmaps IPv4-mapped IPv6, strips brackets and zones', () => {
    expect(normaliseIp('::ffff:8.8.8.8')).toEqual({ address: '8.8.8.8', family: 4 });
    expect(normaliseIp(' [2001:4860:4860::8888] ')).toEqual({ address: '2001:4860:4860::8888', family: 6 });
    expect(normaliseIp('fe80::1%eth0')).toEqual({ address: 'fe80::1', family: 6 });
    expect(normaliseIp('2A00:1450::1')).toEqual({ address: '2a00:1450::1', family: 6 });
  });

  it('refuses what is not an address, including the forms the database would silently accept', () => {
    for (const bad of ['8.8.8', 'not-an-ip', '', '256.1.1.1', '1.2.3.4.5', '8.8.8.8/24', 'x'.repeat(1000)]) {
      expect(normaliseIp(bad)).toBeNull();
    }
  });
});

describe('classifyAddress', () => {
  const kind = (raw: string) => {
    const ip = normaliseIp(raw);
    if (!ip) throw new Error(`test address ${raw} did not parse`);
    return classifyAddress(ip);
  };

  it('refuses private, loopback, CGNAT, link-local and other non-public ranges', () => {
    expect(kind('10.0.0.1')).toBe('private');
    expect(kind('172.16.0.1')).toBe('private');
    expect(kind('192.168.1.1')).toBe('private');
    expect(kind('127.0.0.1')).toBe('loopback');
    expect(kind('100.64.0.1')).toBe('carrier-grade NAT');
    expect(kind('169.254.1.1')).toBe('link-local');
    expect(kind('192.0.2.2')).toBe('documentation');
    expect(kind('224.0.0.1')).toBe('multicast');
    expect(kind('0.0.0.0')).toBe('reserved');
    expect(kind('::1')).toBe('loopback');
    expect(kind('fe80::1')).toBe('link-local');
    expect(kind('fd00::2')).toBe('private');
    expect(kind('ff02::1')).toBe('multicast');
    expect(kind('2001:db8::1')).toBe('documentation');
    expect(kind('::ffff:10.1.2.3')).toBe('private');
  });

  it('accepts public addresses of both families', () => {
    expect(kind('8.8.8.8')).toBe('public');
    expect(kind('100.128.0.1')).toBe('public');
    expect(kind('2a00:1450:4001:80b::200e')).toBe('public');
  });
});

describe('parsePublicIp', () => {
  it('explains why an address cannot be used', () => {
    expect(() => parsePublicIp('8.8.8')).toThrow('"8.8.8" is not an IP address');
    expect(() => parsePublicIp('192.168.1.1')).toThrow('192.168.1.1 is a private address, not a public one');
    expect(() => parsePublicIp('100.64.0.1')).toThrow('carrier-grade NAT');
    expect(parsePublicIp('203.177.0.1').address).toBe('203.177.0.1');
    expect(publicIpOrNull('10.0.0.1')).toBeNull();
  });
});
