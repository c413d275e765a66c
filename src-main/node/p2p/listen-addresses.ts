// What the node listens on: the default listen list, the relay reachability an explicit list must keep,
// and the one-line error a user gets when a listen port is taken.
import { ListenAddressInUseError } from './errors.ts';
import { parseMultiaddr } from './parse-multiaddr.ts';

/** Listen on every interface over TCP and WebSockets, and through relays. */
export const DEFAULT_LISTEN = ['/ip4/0.0.0.0/tcp/0', '/ip4/0.0.0.0/tcp/0/ws', '/p2p-circuit'] as const;

/**
 * An explicit listen list keeps relay reachability: without `/p2p-circuit` a node behind NAT takes no
 * relay reservation and cannot be reached from outside its LAN (nat-lab-findings cause 3).
 */
export function withRelayReachability(listen: readonly string[], relayServer: boolean): string[] {
  const addresses = [...listen];
  for (const address of addresses) parseMultiaddr(address, 'listen');
  if (!relayServer && !addresses.some((address) => address.includes('/p2p-circuit'))) {
    addresses.push('/p2p-circuit');
  }
  return addresses;
}

/** libp2p reports a busy port deep in an error chain; the user needs one line naming the address. */
export function translateListenError(error: unknown, listen: readonly string[]): unknown {
  const text = describeChain(error);
  if (!/EADDRINUSE/.test(text)) return error;
  const port = /:(\d+)\b/.exec(text.slice(text.indexOf('EADDRINUSE')))?.[1];
  const address =
    listen.find((addr) => port !== undefined && addr.includes(`/tcp/${port}`)) ?? listen.join(', ');
  return new ListenAddressInUseError(address);
}

function describeChain(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth += 1) {
    if (current instanceof AggregateError) parts.push(...current.errors.map((inner) => describeChain(inner)));
    if (current instanceof Error) {
      parts.push(`${current.name}: ${current.message} ${(current as NodeJS.ErrnoException).code ?? ''}`);
      current = current.cause;
    } else {
      parts.push(typeof current === 'string' ? current : 'non-error value');
      break;
    }
  }
  return parts.join(' | ');
}
