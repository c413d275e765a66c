import { parseMultiaddr } from './parse-multiaddr.ts';

/** Loopback and RFC 1918 addresses: a devnet or a LAN, where private addresses are all there is. */
export function isPrivateAddress(address: string): boolean {
  try {
    return parseMultiaddr(address, 'network')
      .getComponents()
      .some(
        (component) =>
          (component.name === 'ip4' &&
            /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(component.value ?? '')) ||
          (component.name === 'ip6' && component.value === '::1'),
      );
  } catch {
    return false;
  }
}
