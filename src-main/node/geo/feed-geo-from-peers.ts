// What the p2p layer learns about this node's public address goes to the geo service's evidence: the
// addresses peers observe us at (the vote) and the LAN gateway's external IP (UPnP).
import type { P2pService } from '../p2p/p2p-service.ts';
import type { GeoService } from './geo-service.ts';

export async function feedGeoFromPeers(
  p2p: P2pService,
  geo: GeoService,
  log: (line: string) => void,
): Promise<void> {
  p2p.addEventListener('observed-address', (event) => {
    const { peerId, ip, reporterIp } = event.detail;
    // The tally gives no reporter address for a peer reached over a relay.
    geo
      .recordObservedAddress(peerId, ip, reporterIp ?? undefined, { relayed: reporterIp === null })
      .catch((error: unknown) => {
        log(`geo: could not record an observed address: ${String(error)}`);
      });
  });
  p2p.addEventListener('upnp-address', (event) => {
    geo.setUpnpAddress(event.detail).catch((error: unknown) => {
      log(`geo: could not record the UPnP address: ${String(error)}`);
    });
  });
  // The gateway may have answered before geo started.
  if (p2p.upnpAddress !== null) await geo.setUpnpAddress(p2p.upnpAddress);
}
