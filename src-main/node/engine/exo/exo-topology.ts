// The addresses at which EXO itself reached each of its nodes (security finding 9). EXO's /state carries a
// topology: for each source node, the sink nodes it reached and how, a socket edge being the sink's address
// (`{"sinkMultiaddr": {"address": "/ip4/192.168.1.7/tcp/52415"}}`). EXO records such an edge only after the
// source asked that address for /node_id and got the sink's id back (its reachability probe), so the
// addresses are EXO's own observation of where a node runs, not anything an OpenGateway peer claims.
// RDMA edges (Thunderbolt) carry interface names, no address, and are skipped.
import { isIP } from 'node:net';

type Json = Record<string, unknown>;

/** Bounds on what is kept from a state we did not write. */
const MAX_NODES = 256;
const MAX_ADDRESSES_PER_NODE = 16;

/** EXO node id → the IP addresses (normalised) at which other EXO nodes reached it. */
export type ExoNodeAddresses = ReadonlyMap<string, readonly string[]>;

/**
 * The addresses of `/state`'s topology. Lenient by design: an edge that is not a well-formed socket edge is
 * skipped (it can only cost its node the share it would be paid), never a reason to stop serving.
 */
export function decodeNodeAddresses(topology: unknown): ExoNodeAddresses {
  const addresses = new Map<string, Set<string>>();
  const connections = objectOrNull(objectOrNull(topology)?.connections);
  if (connections === null) return new Map();
  for (const sinks of Object.values(connections).slice(0, MAX_NODES)) {
    for (const [sink, edges] of Object.entries(objectOrNull(sinks) ?? {}).slice(0, MAX_NODES)) {
      if (!Array.isArray(edges) || sink.length === 0 || sink.length > 200) continue;
      for (const edge of edges.slice(0, MAX_ADDRESSES_PER_NODE)) {
        const address = objectOrNull(objectOrNull(edge)?.sinkMultiaddr)?.address;
        const ip = typeof address === 'string' ? ipOfMultiaddr(address) : null;
        if (ip === null) continue;
        const known = addresses.get(sink) ?? new Set<string>();
        if (known.size >= MAX_ADDRESSES_PER_NODE || (addresses.size >= MAX_NODES && !addresses.has(sink)))
          continue;
        known.add(ip);
        addresses.set(sink, known);
      }
    }
  }
  return new Map([...addresses].map(([node, ips]) => [node, [...ips]]));
}

/** The IP of `/ip4/<ip>/…` or `/ip6/<ip>/…`, normalised; null for anything else (names, garbage). */
export function ipOfMultiaddr(address: string): string | null {
  if (address.length > 200) return null;
  const match = /^\/(ip4|ip6)\/([^/]+)(?:\/|$)/.exec(address);
  if (!match) return null;
  return normaliseIp(match[2]!);
}

/** An IP address in one spelling: IPv4-mapped IPv6 as IPv4, IPv6 lower-case and compressed. */
export function normaliseIp(text: string): string | null {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(text);
  const candidate = mapped ? mapped[1]! : text;
  const version = isIP(candidate);
  if (version === 4) return candidate;
  if (version === 6) return new URL(`http://[${candidate}]/`).hostname.slice(1, -1);
  return null;
}

function objectOrNull(value: unknown): Json | null {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : null;
}
