// The LAN gateway's external address, as UPnP reports it, for the geo service's vote (DESIGN.md §3: region
// evidence "upnp"). @libp2p/upnp-nat learns the address (it asks the gateway on start and every
// `externalAddressCheckInterval`, and with each port mapping) but keeps it to itself: libp2p only announces a
// mapped address after AutoNAT confirms it, and never for a node with nothing to map. So we watch the gateways
// its port-mapping client hands out and report what they answer.
import { isIP } from 'node:net';
import { uPnPNAT, type UPnPNATClient, type UPnPNATComponents, type UPnPNATInit } from '@libp2p/upnp-nat';

type Gateway = Awaited<ReturnType<UPnPNATClient['getGateway']>>;

/** Longest string taken as an IP address (an IPv6 address with a zone fits easily). */
const MAX_IP_TEXT = 64;

/**
 * The UPnP NAT service, reporting every external address a gateway answers with (repeats included; the
 * listener deduplicates). `onExternalAddress` gets untrusted text from the LAN: check it with
 * `parseGatewayAddress`. `onPortMapped` is called once the service has added a new mapping's address (still
 * unverified) to the node's addresses.
 */
export function uPnPNATReportingExternalAddress(
  init: UPnPNATInit,
  onExternalAddress: (reported: unknown) => void,
  onPortMapped: () => void = () => undefined,
): (components: UPnPNATComponents) => ReturnType<ReturnType<typeof uPnPNAT>> {
  const factory = uPnPNAT(init);
  return (components) => {
    const service = factory(components);
    // The service built its own client (from a package we do not depend on directly) and its gateway finder
    // holds that same object, so the client is wrapped in place rather than replaced.
    reportGatewayAddresses(service.portMappingClient, onExternalAddress, onPortMapped);
    return service;
  };
}

/**
 * Make every gateway `client` finds report the external addresses it answers with, and each port it maps
 * (`mapped` runs on a later turn of the event loop: the port mapper adds the mapped address right after the
 * gateway's answer).
 */
export function reportGatewayAddresses(
  client: UPnPNATClient,
  report: (reported: unknown) => void,
  mapped: () => void = () => undefined,
): void {
  const safeReport = (reported: unknown): void => {
    try {
      report(reported);
    } catch {
      // A listener's failure must never break port mapping.
    }
  };
  const safeMapped = (): void => {
    setTimeout(() => {
      try {
        mapped();
      } catch {
        // As above.
      }
    }, 0);
  };
  const findGateways = client.findGateways.bind(client);
  const getGateway = client.getGateway.bind(client);
  client.findGateways = async function* (options) {
    for await (const gateway of findGateways(options))
      yield reportingGateway(gateway, safeReport, safeMapped);
  };
  client.getGateway = async (descriptor, options) =>
    reportingGateway(await getGateway(descriptor, options), safeReport, safeMapped);
}

function reportingGateway(
  gateway: Gateway,
  report: (reported: unknown) => void,
  mapped: () => void,
): Gateway {
  return {
    // The gateway may move (re-discovery updates host and port), so these stay live.
    get id() {
      return gateway.id;
    },
    get host() {
      return gateway.host;
    },
    get port() {
      return gateway.port;
    },
    get family() {
      return gateway.family;
    },
    stop: (options) => gateway.stop(options),
    unmap: (port, options) => gateway.unmap(port, options),
    async externalIp(options) {
      const ip = await gateway.externalIp(options);
      report(ip);
      return ip;
    },
    async map(port, host, options) {
      const mapping = await gateway.map(port, host, options);
      report(mapping.externalHost);
      mapped();
      return mapping;
    },
    async *mapAll(port, options) {
      for await (const mapping of gateway.mapAll(port, options)) {
        report(mapping.externalHost);
        mapped();
        yield mapping;
      }
    },
  };
}

/** An IP address from a gateway's answer, normalised (no IPv4-mapped IPv6 form); null for anything else. */
export function parseGatewayAddress(reported: unknown): string | null {
  if (typeof reported !== 'string' || reported.length > MAX_IP_TEXT) return null;
  let text = reported.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(text);
  if (mapped) text = mapped[1]!;
  return isIP(text) === 0 ? null : text.toLowerCase();
}
