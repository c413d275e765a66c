// Address normalisation and the public/non-public test that must come before any database lookup: the
// database answers garbage for non-public and malformed input without complaint (ref/geo-and-profiling.md A2).
import { BlockList, isIP } from 'node:net';
import { MalformedIpError, NonPublicIpError } from './errors.ts';

export type IpFamily = 4 | 6;

export interface NormalisedIp {
  readonly address: string;
  readonly family: IpFamily;
}

export type AddressKind =
  | 'public'
  | 'private'
  | 'loopback'
  | 'carrier-grade NAT'
  | 'link-local'
  | 'multicast'
  | 'documentation'
  | 'reserved';

const MAX_INPUT_LENGTH = 100;

/** Trims, strips [brackets] and %zone, unmaps ::ffff:a.b.c.d; null when it is not an address at all. */
export function normaliseIp(raw: string): NormalisedIp | null {
  if (typeof raw !== 'string' || raw.length > MAX_INPUT_LENGTH) return null;
  let address = raw.trim().replace(/^\[(.*)\]$/, '$1');
  const zone = address.indexOf('%');
  if (zone !== -1) address = address.slice(0, zone);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped?.[1]) address = mapped[1];
  const family = isIP(address);
  if (family === 4) return { address, family };
  if (family === 6) return { address: address.toLowerCase(), family };
  return null;
}

const RANGES: ReadonlyArray<readonly [AddressKind, IpFamily, string, number]> = [
  ['reserved', 4, '0.0.0.0', 8],
  ['private', 4, '10.0.0.0', 8],
  ['carrier-grade NAT', 4, '100.64.0.0', 10],
  ['loopback', 4, '127.0.0.0', 8],
  ['link-local', 4, '169.254.0.0', 16],
  ['private', 4, '172.16.0.0', 12],
  ['reserved', 4, '192.0.0.0', 24],
  ['documentation', 4, '192.0.2.0', 24],
  ['private', 4, '192.168.0.0', 16],
  ['reserved', 4, '198.18.0.0', 15],
  ['documentation', 4, '198.51.100.0', 24],
  ['documentation', 4, '203.0.113.0', 24],
  ['multicast', 4, '224.0.0.0', 4],
  ['reserved', 4, '240.0.0.0', 4],
  ['loopback', 6, '::', 127],
  ['reserved', 6, '64:ff9b::', 96],
  ['reserved', 6, '100::', 64],
  ['documentation', 6, '2001:db8::', 32],
  ['reserved', 6, '2002::', 16],
  ['private', 6, 'fc00::', 7],
  ['link-local', 6, 'fe80::', 10],
  ['multicast', 6, 'ff00::', 8],
];

const BLOCKS = RANGES.map(([kind, family, network, prefix]) => {
  const list = new BlockList();
  list.addSubnet(network, prefix, family === 4 ? 'ipv4' : 'ipv6');
  return { kind, list };
});

const GLOBAL_UNICAST_V6 = new BlockList();
GLOBAL_UNICAST_V6.addSubnet('2000::', 3, 'ipv6');

/** What kind of address this is. Only 'public' ones are geolocated. */
export function classifyAddress(ip: NormalisedIp): AddressKind {
  const type = ip.family === 4 ? 'ipv4' : 'ipv6';
  for (const { kind, list } of BLOCKS) if (list.check(ip.address, type)) return kind;
  if (ip.family === 6 && !GLOBAL_UNICAST_V6.check(ip.address, 'ipv6')) return 'reserved';
  return 'public';
}

/** A public address, or null: for evidence from peers and interfaces, where bad input is just ignored. */
export function publicIpOrNull(raw: string): NormalisedIp | null {
  const ip = normaliseIp(raw);
  return ip && classifyAddress(ip) === 'public' ? ip : null;
}

/** A public address, or a clear error: for addresses a user typed. */
export function parsePublicIp(raw: string): NormalisedIp {
  const ip = normaliseIp(raw);
  if (!ip) throw new MalformedIpError(raw);
  const kind = classifyAddress(ip);
  if (kind !== 'public') throw new NonPublicIpError(ip.address, kind);
  return ip;
}
