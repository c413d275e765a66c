// The network part of onboarding: libp2p (with the ledger's reputation for gossip scoring), signed config
// updates, the geo service fed by peers' observations, the watcher that re-decides the region when the
// machine's network changes, and the wait for a first bootstrap connection. Each part is added to the node's
// started parts, so a failure here stops what started, in reverse.
import type { NetworkConfig } from '../../src-shared/network-config/index.ts';
import type { RegionId } from '../../src-shared/regions/index.ts';
import { feedGeoFromPeers } from './geo/feed-geo-from-peers.ts';
import { GeoService } from './geo/geo-service.ts';
import type { IdentityService } from './identity/identity-service.ts';
import type { NodeLedger } from './ledger/node-ledger.ts';
import type { Locations } from './locations.ts';
import { ConfigUpdates } from './network-config/config-updates.ts';
import { describeConfigUpdate, describeRefusedConfig } from './node-log-lines.ts';
import type { NodeOptions } from './node-options.ts';
import { NetworkChangeWatcher } from './p2p/network-change-watcher.ts';
import { createNodeP2p, waitForBootstrap } from './p2p/node-p2p.ts';
import type { P2pService } from './p2p/p2p-service.ts';
import type { PeerPenalties } from './p2p/peer-penalties.ts';
import type { BootstrapPlan } from './looking-for-peers.ts';
import { onStop, type StartedParts } from './startable.ts';

export interface NodeNetworkInit {
  readonly options: NodeOptions;
  readonly locations: Locations;
  readonly config: NetworkConfig;
  readonly identity: IdentityService;
  readonly ledger: NodeLedger;
  /** What peers lost outside gossip (corrupted model blocks), subtracted from their gossip score. */
  readonly penalties: PeerPenalties;
  /** The region the user chose (a flag now, or the UI last time); null lets the evidence decide. */
  readonly override: RegionId | null;
  readonly started: StartedParts;
  readonly log: (line: string) => void;
  readonly signal?: AbortSignal;
  /** A newer signed config replaced the current one. */
  readonly onConfigUpdated: (config: NetworkConfig) => void;
  /** True once the node is stopping (a late network change is then ignored). */
  readonly stopping: () => boolean;
}

export async function startNodeNetwork(
  init: NodeNetworkInit,
): Promise<{ readonly p2p: P2pService; readonly geo: GeoService; readonly bootstrap: BootstrapPlan }> {
  const { options, locations, ledger, started, log } = init;
  const localOnly = options.localOnly ?? process.env.OPENGATEWAY_LOCAL_ONLY === '1';
  const { p2p, bootstrap, skipped } = createNodeP2p({
    config: init.config,
    privateKey: init.identity.privateKey,
    peerId: init.identity.peerId.toString(),
    ...(options.listen ? { listen: options.listen } : {}),
    bootstrap: options.bootstrap ?? [],
    relay: options.relay ?? false,
    ...(options.privateNetwork !== undefined ? { privateNetwork: options.privateNetwork } : {}),
    reputation: (peerId) => ledger.payments.requester.reputation(peerId),
    penalty: (peerId) => init.penalties.points(peerId),
    localOnly,
  });
  const skippedBecause = localOnly
    ? 'local-only mode, OPENGATEWAY_LOCAL_ONLY=1'
    : 'no name resolution, OPENGATEWAY_NO_NAME_RESOLUTION=1';
  const why = localOnly ? 'OPENGATEWAY_LOCAL_ONLY=1' : 'OPENGATEWAY_NO_NAME_RESOLUTION=1';
  for (const address of skipped) log(`p2p: not resolving ${address} (${why})`);
  await started.start(p2p);
  log(`p2p: listening on ${p2p.listenAddresses().join(' ') || '(relay only)'}`);
  logHolePunching(p2p, log);
  // The ledger's gossip and sync leave before libp2p stops (its store closes later, with the ledger).
  started.add(onStop(() => ledger.leave()));

  // Newer signed configs (higher revision, signed by the founders) replace the stored one.
  const configUpdates = await started.start(
    new ConfigUpdates({ libp2p: p2p.libp2p, locations }, { current: init.config }),
  );
  configUpdates.addEventListener('config:updated', (event) => {
    log(describeConfigUpdate(event.detail));
    init.onConfigUpdated(event.detail.config);
  });
  configUpdates.addEventListener('config:refused', (event) => {
    if (event.detail.penalised) log(describeRefusedConfig(event.detail));
  });

  const geo = await started.start(new GeoService({ locations }, { ...options.geo, override: init.override }));
  await feedGeoFromPeers(p2p, geo, log);
  const watcher = new NetworkChangeWatcher(options.networkChange);
  watcher.addEventListener('change', (event) => {
    if (init.stopping()) return;
    void redecideRegion(p2p, geo, event.detail, log);
  });
  await started.start(watcher);
  await waitForBootstrap(p2p, bootstrap.length, {
    waitMs: options.bootstrapWaitMs ?? 5000,
    log,
    ...(init.signal ? { signal: init.signal } : {}),
  });
  return { p2p, geo, bootstrap: { dialled: bootstrap, skipped, skippedBecause } };
}

/** How this node reaches peers behind NAT, once, and every hole punch as it happens. */
function logHolePunching(p2p: P2pService, log: (line: string) => void): void {
  const webRtc = p2p.webRtc;
  if (webRtc.status === 'on') {
    const stun = webRtc.iceServers.length > 0 ? webRtc.iceServers.join(' ') : 'none configured';
    log(`p2p: hole punching over WebRTC (STUN: ${stun})`);
  } else if (webRtc.status === 'unavailable') {
    log(
      `p2p: no hole punching, WebRTC is unavailable here (${webRtc.reason}); peers behind NAT via relays only`,
    );
  }
  if (p2p.stunAddresses.length > 0) {
    log(`p2p: answering STUN on udp ${p2p.stunAddresses.map((a) => `${a.host}:${a.port}`).join(' ')}`);
  }
  p2p.addEventListener('hole-punch', ({ detail }) =>
    log(
      detail.status === 'direct'
        ? `p2p: direct connection to ${detail.peer} (WebRTC hole punch, ${detail.ms} ms)`
        : `p2p: no hole punch to ${detail.peer} after ${detail.ms} ms (${detail.reason}); staying relayed`,
    ),
  );
}

/** Old observations describe the old network: drop them and decide the region again (onboarding repeats). */
async function redecideRegion(
  p2p: P2pService,
  geo: GeoService,
  addresses: readonly string[],
  log: (line: string) => void,
): Promise<void> {
  log(`network: interfaces changed (${addresses.join(', ') || 'none'}); deciding the region again`);
  try {
    for (const peer of p2p.resetObservedAddresses()) await geo.forgetPeer(peer);
    await geo.redecide();
  } catch (error) {
    log(`geo: deciding again after a network change failed: ${String(error)}`);
  }
}
