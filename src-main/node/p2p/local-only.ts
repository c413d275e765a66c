// OPENGATEWAY_LOCAL_ONLY=1: nothing leaves the machine (build machines, CI, devnets). The node resolves no
// bootstrap names, runs no UPnP/SSDP or mDNS, and a connection gater refuses every dial outside loopback.
import type { ConnectionGater } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';

export const LOCAL_ONLY_ENV = 'OPENGATEWAY_LOCAL_ONLY';

/** True when the environment asks for local-only operation (`1`, `true` or `yes`). */
export function localOnlyFromEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  return /^(1|true|yes)$/i.test(env[LOCAL_ONLY_ENV]?.trim() ?? '');
}

/**
 * OPENGATEWAY_NO_NAME_RESOLUTION=1: the node looks up no bootstrap names (`/dnsaddr/`, `/dns4/`) but otherwise
 * uses the network normally, mDNS included. For LAN tests in network namespaces, where local-only would turn
 * off the very mDNS under test and a lookup of the default network's names must not be attempted.
 */
export const NO_NAME_RESOLUTION_ENV = 'OPENGATEWAY_NO_NAME_RESOLUTION';

/** True when the environment asks the node to resolve no bootstrap names (`1`, `true` or `yes`). */
export function noNameResolutionFromEnv(env: Readonly<Record<string, string | undefined>>): boolean {
  return /^(1|true|yes)$/i.test(env[NO_NAME_RESOLUTION_ENV]?.trim() ?? '');
}

/** A multiaddr whose first component is a loopback IP (127.0.0.0/8 or ::1); names never count. */
export function isLoopbackMultiaddr(address: Multiaddr): boolean {
  const first = address.getComponents()[0];
  if (first === undefined) return false;
  if (first.name === 'ip4') return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(first.value ?? '');
  if (first.name === 'ip6') return first.value === '::1';
  return false;
}

/**
 * Refuses dials to anything but loopback. A relayed address (`/ip4/127.0.0.1/…/p2p-circuit/…`) passes when
 * the relay is on loopback; a name (`/dnsaddr/`, `/dns4/`) never passes, so nothing is resolved.
 */
export function loopbackOnlyGater(): ConnectionGater {
  return {
    denyDialMultiaddr: (address) => !isLoopbackMultiaddr(address),
  };
}

/** Bootstrap addresses a local-only node may use: no names to resolve, nothing off the machine. */
export function isLocalBootstrapAddress(address: Multiaddr): boolean {
  return isLoopbackMultiaddr(address);
}
