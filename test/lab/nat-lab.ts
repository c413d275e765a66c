// The NAT lab (issue 15): a "public" segment 172.80.0.0/24 (a range libp2p treats as public and that exists
// only between the lab's namespaces) with the relay/bootstrap node, and homes behind their own NAT routers
// (nftables masquerading). A home is endpoint-independent (`masquerade`: Linux keeps the source port) or
// address-dependent/symmetric (`masquerade fully-random`). Each router drops unsolicited inbound traffic, as
// a home router does. Used by nat-lab.test.ts (one bounded run) and bench/nat-lab.ts (repeated runs).
import { LabNamespaces } from './lab-namespaces.ts';
import { LabNodeProcess } from './lab-node-process.ts';

export type NatKind = 'port-preserving' | 'symmetric';

export const RELAY_IP = '172.80.0.1';
const RELAY_PORT = 4001;
const HOME_PORT = 4001;

export interface NatLab {
  readonly namespaces: LabNamespaces;
  readonly relay: LabNodeProcess;
  readonly relayAddress: string;
  /** One node per home, in the order of `homes`. */
  readonly homes: readonly LabNodeProcess[];
  destroy(): Promise<void>;
}

/** The WAN address of router `index` (1-based) on the public segment. */
export function routerWanIp(index: number): string {
  return `172.80.0.${10 + index}`;
}

/** Builds the network, starts the relay and one node per home. Everything is torn down on failure. */
export async function startNatLab(homes: readonly NatKind[]): Promise<NatLab> {
  const namespaces = new LabNamespaces();
  const nodes: LabNodeProcess[] = [];
  const destroy = async (): Promise<void> => {
    await Promise.allSettled(nodes.map((node) => node.stop()));
    namespaces.destroy();
  };
  try {
    buildNetwork(namespaces, homes);
    const relay = await LabNodeProcess.start('relay', namespaces.name('pub'), {
      p2p: { listen: [`/ip4/${RELAY_IP}/tcp/${RELAY_PORT}`], relayServer: true },
    });
    nodes.push(relay);
    const relayAddress = `/ip4/${RELAY_IP}/tcp/${RELAY_PORT}/p2p/${relay.peerId}`;
    const homeNodes = await Promise.all(
      homes.map((_, index) =>
        LabNodeProcess.start(`home${index + 1}`, namespaces.name(`h${index + 1}`), {
          // An explicit listen address, as `--listen` gives: relay reachability must survive it.
          p2p: { listen: [`/ip4/0.0.0.0/tcp/${HOME_PORT}`], bootstrap: [relayAddress] },
        }),
      ),
    );
    nodes.push(...homeNodes);
    return { namespaces, relay, relayAddress, homes: homeNodes, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}

/** The public segment (`pub`, the relay at RELAY_IP) and home `hN` behind router `rN` for each of `homes`. */
export function buildNetwork(lab: LabNamespaces, homes: readonly NatKind[]): void {
  lab.add('pub');
  const ports: string[] = [];
  homes.forEach((kind, i) => {
    const n = i + 1;
    const router = `r${n}`;
    const home = `h${n}`;
    lab.add(router);
    lab.add(home);
    lab.link(`w${n}`, 'pub', null, router, `${routerWanIp(n)}/24`);
    ports.push(`${lab.prefix}w${n}a`);
    lab.link(`l${n}`, router, `192.168.${n}.1/24`, home, `192.168.${n}.10/24`);
    lab.ip(home, 'route', 'add', 'default', 'via', `192.168.${n}.1`);
    lab.exec(router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    const wan = `${lab.prefix}w${n}b`;
    const lan = `${lab.prefix}l${n}a`;
    lab.nft(
      router,
      `table ip ${lab.prefix}_nat {
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
    oifname "${wan}" masquerade${kind === 'symmetric' ? ' fully-random' : ''}
  }
}
table ip ${lab.prefix}_filter {
  chain input {
    type filter hook input priority filter; policy accept;
    ct state established,related accept
    iifname "${wan}" drop
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "${lan}" oifname "${wan}" accept
  }
}
`,
    );
  });
  lab.bridge('pub', `${RELAY_IP}/24`, ports);
}

/** Polls `check` until it returns a value other than null/false; null after `timeoutMs`. */
export async function poll<T>(check: () => Promise<T | null | false>, timeoutMs: number): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== null && value !== false) return value;
    if (Date.now() > deadline) return null;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Public (non-relayed, non-private) addresses a node announces: none means it knows it is behind NAT. */
export function publicAddresses(addresses: readonly string[]): string[] {
  return addresses.filter(
    (address) =>
      !address.includes('/p2p-circuit') &&
      !/\/ip4\/(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.)/.test(address) &&
      !address.includes('/ip6/'),
  );
}

export interface PairResult {
  readonly reservationMs: number | null;
  readonly relayedEcho: { received: number; ms: number; relayed: boolean } | null;
  /** Time from the relayed connection to a direct one (DCUtR), null when none came within the wait. */
  readonly directMs: number | null;
  readonly directEcho: { received: number; ms: number; relayed: boolean } | null;
  readonly error: string | null;
}

/**
 * B (`dialer`) reaches A (`listener`) through the relay, sends a chat-sized request both ways, then waits up
 * to `directWaitMs` for DCUtR to turn the relayed connection into a direct one.
 */
export async function connectThroughRelay(
  listener: LabNodeProcess,
  dialer: LabNodeProcess,
  relayPeerId: string,
  options: { readonly bytes: number; readonly directWaitMs: number; readonly reservationWaitMs: number },
): Promise<PairResult> {
  const begin = Date.now();
  const circuit = await poll(async () => {
    const status = await listener.status();
    // The plain circuit address, not the `/webrtc` one signalled through it.
    return (
      status.addresses.find(
        (address) => address.includes(`/p2p/${relayPeerId}/p2p-circuit`) && !address.includes('/webrtc'),
      ) ?? null
    );
  }, options.reservationWaitMs);
  if (circuit === null) {
    return {
      reservationMs: null,
      relayedEcho: null,
      directMs: null,
      directEcho: null,
      error: 'no reservation',
    };
  }
  const reservationMs = Date.now() - begin;
  try {
    // Each measurement starts from no connection between the two (an earlier one may have punched through).
    await dialer.hangUp(listener.peerId);
    await listener.hangUp(dialer.peerId);
    const connection = await dialer.dial(circuit);
    const connectedAt = Date.now();
    const relayedEcho = await dialer.echo(listener.peerId, options.bytes);
    if (!connection.relayed) throw new Error(`dial of ${circuit} was not relayed: ${connection.remoteAddr}`);
    const direct = await poll(async () => {
      const status = await dialer.status();
      return status.connections.some((c) => c.peer === listener.peerId && !c.relayed && c.status === 'open');
    }, options.directWaitMs);
    const directMs = direct === null ? null : Date.now() - connectedAt;
    const directEcho = direct === null ? null : await dialer.echo(listener.peerId, options.bytes);
    return { reservationMs, relayedEcho, directMs, directEcho, error: null };
  } catch (error) {
    return {
      reservationMs,
      relayedEcho: null,
      directMs: null,
      directEcho: null,
      error: error instanceof Error ? error.message : String(error),
    };
  }
}
