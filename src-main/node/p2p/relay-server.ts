// The circuit relay v2 server that bootstrap/relay nodes run: its reservation limits, and the addresses it
// vouches for itself.
import { circuitRelayServer } from '@libp2p/circuit-relay-v2';
import type { Libp2p } from '@libp2p/interface';
import type { Multiaddr } from '@multiformats/multiaddr';
import { RELAY_LIMITS } from './relay-limits.ts';

/** The relay server service, with our circuit limits in place of libp2p's defaults. */
export function relayServer(): ReturnType<typeof circuitRelayServer> {
  // Default relay limits (128 KiB, 2 min) cut inference responses; ours carry a whole chat, no more.
  return circuitRelayServer({
    reservations: {
      maxReservations: 512,
      applyDefaultLimit: true,
      defaultDataLimit: RELAY_LIMITS.dataBytes,
      defaultDurationLimit: RELAY_LIMITS.durationMs,
    },
  });
}

/**
 * A relay/bootstrap server is public by its operator's word: its own listen addresses count as verified at
 * once. Otherwise AutoNAT asks every peer that connects to dial it back, and the peers' answers close and
 * redial the very connections the relay needs (nat-lab-findings causes 2 and 4).
 */
export function confirmOwnAddresses(node: Libp2p): void {
  // The address and transport managers are internal to libp2p (the node object carries them).
  const components = (node as unknown as { components?: Partial<InternalComponents> }).components;
  if (components?.addressManager === undefined || components.transportManager === undefined) return;
  for (const address of components.transportManager.getAddrs()) {
    if (address.toString().includes('/p2p-circuit')) continue;
    components.addressManager.confirmObservedAddr(address, { type: 'transport', ttl: RELAY_ADDRESS_TTL_MS });
  }
}

interface InternalComponents {
  addressManager: {
    confirmObservedAddr(address: Multiaddr, options: { type: 'transport'; ttl: number }): void;
  };
  transportManager: { getAddrs(): Multiaddr[] };
}

/** How long a relay's own addresses stay verified; re-confirmed while the node runs. */
const RELAY_ADDRESS_TTL_MS = 365 * 24 * 3600 * 1000;
