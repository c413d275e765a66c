// AutoNAT whose dial-back opens a fresh connection. @libp2p/autonat 3.0.x's server checks an address by
// `connectionManager.openConnection(address)`, and libp2p hands back the direct connection the asking peer
// already has to us (it always has one: it asks over it). That connection's remote address is not the one to
// check, so the check fails ("Unexpected remote address") and the server then closes the connection it
// "dialled" — the asking node's own link to us. Seen in the NAT lab: a node behind a UPnP router asked the
// relay to check its mapped address, lost its relay connection, reconnected, asked again, twice a second, and
// its mapped address was never confirmed. Here the server's single-address dials are forced to open a new
// connection; its other dials (the random walk's, by peer addresses) keep reusing connections.
import { autoNAT, type AutoNATComponents, type AutoNATServiceInit } from '@libp2p/autonat';
import { isMultiaddr } from '@multiformats/multiaddr';

type ConnectionManager = AutoNATComponents['connectionManager'];

/** `manager`, except that a dial of one address always opens a new connection (`force`). */
export function freshSingleAddressDials(manager: ConnectionManager): ConnectionManager {
  return new Proxy(manager, {
    get(target, property) {
      if (property === 'openConnection') {
        const open: ConnectionManager['openConnection'] = (peer, options) =>
          target.openConnection(peer, isMultiaddr(peer) ? { ...options, force: true } : options);
        return open;
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

/** libp2p's AutoNAT service, given a connection manager whose dial-backs open fresh connections. */
export function autoNATWithFreshDialBack(
  init?: AutoNATServiceInit,
): (components: AutoNATComponents) => unknown {
  const factory = autoNAT(init);
  return (components) => {
    let manager: ConnectionManager | null = null;
    // Every other component is read when the service uses it (libp2p's components throw for one not set yet).
    return factory({
      get registrar() {
        return components.registrar;
      },
      get addressManager() {
        return components.addressManager;
      },
      get transportManager() {
        return components.transportManager;
      },
      get peerId() {
        return components.peerId;
      },
      get logger() {
        return components.logger;
      },
      get randomWalk() {
        return components.randomWalk;
      },
      get events() {
        return components.events;
      },
      get peerStore() {
        return components.peerStore;
      },
      get metrics() {
        return components.metrics;
      },
      get connectionManager() {
        manager ??= freshSingleAddressDials(components.connectionManager);
        return manager;
      },
    });
  };
}
