// Where STUN lives in our network: every bootstrap/relay node answers STUN on UDP at the IP and port number
// of its TCP listen address (stun-responder.ts), so the bootstrap list a node already has is also its list
// of STUN servers. Only IP literals: a name would mean a DNS lookup, and ICE must never fall back to the
// library's public STUN servers (no traffic to addresses nobody configured).
import type { Multiaddr } from '@multiformats/multiaddr';
import { parseMultiaddr } from './parse-multiaddr.ts';
import type { StunBinding } from './stun-responder.ts';

/** At most this many STUN servers are handed to ICE (each one is asked on every connection attempt). */
export const MAX_STUN_SERVERS = 4;

/** `stun:<ip>:<port>` for each bootstrap address `/ip4|ip6/<ip>/tcp/<port>/…` (names and others skipped). */
export function stunServersFromBootstrap(bootstrap: readonly string[]): string[] {
  const servers: string[] = [];
  for (const address of bootstrap) {
    const binding = ipTcpBinding(parseMultiaddr(address, 'bootstrap'));
    if (binding === null || binding.port === 0) continue;
    const host = binding.host.includes(':') ? `[${binding.host}]` : binding.host;
    const url = `stun:${host}:${binding.port}`;
    if (!servers.includes(url)) servers.push(url);
  }
  return servers.slice(0, MAX_STUN_SERVERS);
}

/** A `stun:<ip>:<port>` URL as the user or a test gives it; anything else (a name, a `turn:`) is refused. */
export function isStunServerUrl(url: string): boolean {
  const match = /^stun:(\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-fA-F:.]+\]):(\d{1,5})$/.exec(url);
  return match !== null && Number(match[2]) > 0 && Number(match[2]) <= 0xffff;
}

/**
 * The UDP addresses a relay answers STUN on: one per TCP listen address (not WebSockets, not relayed),
 * same IP and port. `0.0.0.0` stays a wildcard, as the TCP listener is.
 */
export function stunBindingsFor(tcpListenAddresses: readonly Multiaddr[]): StunBinding[] {
  const bindings: StunBinding[] = [];
  for (const address of tcpListenAddresses) {
    const names = address.getComponents().map((component) => component.name);
    if (names.length !== 2 && !(names.length === 3 && names[2] === 'p2p')) continue;
    const binding = ipTcpBinding(address);
    if (binding === null || bindings.some((b) => b.host === binding.host && b.port === binding.port))
      continue;
    bindings.push(binding);
  }
  return bindings;
}

function ipTcpBinding(address: Multiaddr): StunBinding | null {
  const [ip, tcp] = address.getComponents();
  if (ip === undefined || tcp === undefined || tcp.name !== 'tcp') return null;
  if (ip.name !== 'ip4' && ip.name !== 'ip6') return null;
  const port = Number(tcp.value);
  if (ip.value === undefined || !Number.isInteger(port) || port < 0 || port > 0xffff) return null;
  return { host: ip.value, port };
}
