// Multiaddrs from the user or a config are parsed with this, so a typo fails naming the option it came
// from rather than with the library's bare parse error.
import { multiaddr, type Multiaddr } from '@multiformats/multiaddr';
import { InvalidMultiaddrError } from './errors.ts';

/** Parse `address`, naming `what` (listen, bootstrap, announce…) in the error when it is not a multiaddr. */
export function parseMultiaddr(address: string, what: string): Multiaddr {
  try {
    return multiaddr(address);
  } catch {
    throw new InvalidMultiaddrError(address, what);
  }
}
