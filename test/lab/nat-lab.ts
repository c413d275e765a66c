// The NAT lab (issue 15): a "public" segment 172.80.0.0/24 (a range libp2p treats as public and that exists
// only between the lab's namespaces) with the relay/bootstrap node, and homes behind their own NAT routers
// (nftables masquerading). A home is endpoint-independent (`masquerade`: Linux keeps the source port) or
// address-dependent/symmetric (`masquerade fully-random`), or port-preserving with a real UPnP IGD on the
// router (`upnp`: miniupnpd, lab-upnp-gateway.ts) that the home's node asks for a port mapping. Each router
// drops unsolicited inbound traffic, as a home router does, except what a UPnP mapping forwards. Used by the
// nat-lab tests (bounded runs) and bench/nat-lab.ts (repeated runs).
import { LabNamespaces } from './lab-namespaces.ts';
import { LabNodeProcess } from './lab-node-process.ts';
import { LabUpnpGateway, UPNP_CHAINS } from './lab-upnp-gateway.ts';

export type NatKind = 'port-preserving' | 'symmetric' | 'upnp';

export const RELAY_IP = '172.80.0.1';
const RELAY_PORT = 4001;
const HOME_PORT = 4001;

export interface NatLab {
  readonly namespaces: LabNamespaces;
  readonly relay: LabNodeProcess;
  readonly relayAddress: string;
  /** One node per home, in the order of `homes`. */
  readonly homes: readonly LabNodeProcess[];
  /** The UPnP gateway of each `upnp` home (null for the others), in the order of `homes`. */
  readonly gateways: readonly (LabUpnpGateway | null)[];
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
  const gateways: (LabUpnpGateway | null)[] = [];
  const destroy = async (): Promise<void> => {
    await Promise.allSettled(nodes.map((node) => node.stop()));
    await Promise.allSettled(gateways.map((gateway) => gateway?.stop() ?? Promise.resolve()));
    namespaces.destroy();
  };
  try {
    buildNetwork(namespaces, homes);
    for (const [index, kind] of homes.entries()) {
      gateways.push(kind === 'upnp' ? await startUpnpGateway(namespaces, index + 1) : null);
    }
    const relay = await LabNodeProcess.start('relay', namespaces.name('pub'), {
      p2p: { listen: [`/ip4/${RELAY_IP}/tcp/${RELAY_PORT}`], relayServer: true },
    });
    nodes.push(relay);
    const relayAddress = `/ip4/${RELAY_IP}/tcp/${RELAY_PORT}/p2p/${relay.peerId}`;
    const homeNodes = await Promise.all(
      homes.map((kind, index) =>
        LabNodeProcess.start(`home${index + 1}`, namespaces.name(`h${index + 1}`), {
          // An explicit listen address, as `--listen` gives: relay reachability must survive it.
          p2p: {
            listen: [`/ip4/0.0.0.0/tcp/${HOME_PORT}`],
            bootstrap: [relayAddress],
            // The node's own UPnP client, as a node at home runs it (SSDP search, then a port mapping).
            ...(kind === 'upnp' ? { upnp: true } : {}),
          },
        }),
      ),
    );
    nodes.push(...homeNodes);
    return { namespaces, relay, relayAddress, homes: homeNodes, gateways, destroy };
  } catch (error) {
    await destroy();
    throw error;
  }
}

/** The home's address on its LAN: `192.168.<index>.10`. */
export function homeLanIp(index: number): string {
  return `192.168.${index}.10`;
}

/** miniupnpd on router `index`, serving its LAN side only. */
function startUpnpGateway(lab: LabNamespaces, index: number): Promise<LabUpnpGateway> {
  return LabUpnpGateway.start({
    namespace: lab.name(`r${index}`),
    wanDevice: `${lab.prefix}w${index}b`,
    lanDevice: `${lab.prefix}l${index}a`,
    lanSubnet: `192.168.${index}.0/24`,
    filterTable: `${lab.prefix}_filter`,
    natTable: `${lab.prefix}_nat`,
  });
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
    lab.link(`l${n}`, router, `192.168.${n}.1/24`, home, `${homeLanIp(n)}/24`);
    lab.ip(home, 'route', 'add', 'default', 'via', `192.168.${n}.1`);
    lab.exec(router, 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    const wan = `${lab.prefix}w${n}b`;
    const lan = `${lab.prefix}l${n}a`;
    lab.nft(router, routerRuleset(lab.prefix, kind, wan, lan));
  });
  lab.bridge('pub', `${RELAY_IP}/24`, ports);
}

/**
 * A home router's tables (family inet, which miniupnpd's nftables build uses): masquerading out of the WAN
 * (`fully-random` for a symmetric NAT), nothing unsolicited in. A UPnP router's forward and nat chains also
 * jump to the chains miniupnpd fills with each mapping's accept and DNAT rules.
 */
function routerRuleset(prefix: string, kind: NatKind, wan: string, lan: string): string {
  const upnp = kind === 'upnp';
  return `table inet ${prefix}_nat {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
${upnp ? `    jump ${UPNP_CHAINS.prerouting}\n` : ''}  }
  chain postrouting {
    type nat hook postrouting priority srcnat; policy accept;
${upnp ? `    jump ${UPNP_CHAINS.postrouting}\n` : ''}    oifname "${wan}" masquerade${kind === 'symmetric' ? ' fully-random' : ''}
  }
${upnp ? `  chain ${UPNP_CHAINS.prerouting} {\n  }\n  chain ${UPNP_CHAINS.postrouting} {\n  }\n` : ''}}
table inet ${prefix}_filter {
  chain input {
    type filter hook input priority filter; policy accept;
    ct state established,related accept
    iifname "${wan}" drop
  }
  chain forward {
    type filter hook forward priority filter; policy drop;
    ct state established,related accept
    iifname "${lan}" oifname "${wan}" accept
${upnp ? `    jump ${UPNP_CHAINS.forward}\n` : ''}  }
${upnp ? `  chain ${UPNP_CHAINS.forward} {\n  }\n` : ''}}
`;
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

export interface DirectReach {
  /** The dialer's first (and only) connection to the listener: TCP to its mapped address, or what it got. */
  readonly path: 'direct-tcp' | 'relayed' | 'webrtc' | 'none';
  /** Dial by peer id plus the exchange, one way and back. */
  readonly echo: { received: number; ms: number; relayed: boolean } | null;
  readonly error: string | null;
}

/**
 * B (`dialer`) reaches A (`listener`, a home whose router mapped its port over UPnP) by peer id alone, from
 * no connection between the two: which path libp2p took, and the exchange over it.
 */
export async function reachDirectly(
  listener: LabNodeProcess,
  dialer: LabNodeProcess,
  bytes: number,
): Promise<DirectReach> {
  try {
    await dialer.hangUp(listener.peerId);
    await listener.hangUp(dialer.peerId);
    const echo = await dialer.echo(listener.peerId, bytes);
    const connection = (await dialer.status()).connections.find(
      (c) => c.peer === listener.peerId && c.status === 'open',
    );
    const path =
      connection === undefined
        ? 'none'
        : connection.webrtc
          ? 'webrtc'
          : connection.relayed
            ? 'relayed'
            : 'direct-tcp';
    return { path, echo, error: null };
  } catch (error) {
    return { path: 'none', echo: null, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Polls until `home` announces a public address (a confirmed UPnP mapping); how long it took, or null. */
export async function waitForMapping(home: LabNodeProcess, timeoutMs: number): Promise<number | null> {
  const begin = Date.now();
  const announced = await poll(
    async () => publicAddresses((await home.status()).addresses).length > 0,
    timeoutMs,
  );
  return announced === null ? null : Date.now() - begin;
}
