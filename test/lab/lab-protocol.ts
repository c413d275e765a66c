// What the lab and its nodes say to each other: the node's options and its stdin commands.
import type { P2pInit } from '../../src-main/node/p2p/p2p-init.ts';
import type { WebRtcState } from '../../src-main/node/p2p/p2p-service.ts';
import type { WebRtcUpgradeOutcome } from '../../src-main/node/p2p/webrtc-upgrade.ts';
import type { RegionId } from '../../src-shared/regions/index.ts';

/** A request/response protocol that moves N bytes each way (a chat's worth, or more). */
export const ECHO_PROTOCOL = '/og-lab/echo/1.0.0';
export const MAX_ECHO_FRAME = 64 * 1024;

export interface LabNodeOptions {
  readonly p2p: P2pInit;
  /** Join this region's cluster of `tier` (heartbeats) and keep a view of it. */
  readonly membership?: { readonly region: RegionId; readonly tier: string };
}

export type LabCommand = { readonly id: number } & (
  | { readonly cmd: 'status' }
  | { readonly cmd: 'dial'; readonly address: string }
  | { readonly cmd: 'echo'; readonly peer: string; readonly bytes: number }
  | { readonly cmd: 'hangUp'; readonly peer: string }
  | { readonly cmd: 'members' }
  | { readonly cmd: 'stop' }
);

export interface LabConnection {
  readonly peer: string;
  readonly remoteAddr: string;
  readonly relayed: boolean;
  /** Signalled through a relay, data over a direct (hole-punched) UDP path. */
  readonly webrtc: boolean;
  readonly direction: 'inbound' | 'outbound';
  readonly status: string;
}

export interface LabStatus {
  readonly peerId: string;
  readonly addresses: string[];
  readonly connections: LabConnection[];
  readonly webRtc: WebRtcState;
  /** The external address the LAN's UPnP gateway reported (null: none found, or UPnP off). */
  readonly upnpAddress: string | null;
  /** This node's WebRTC upgrades of relayed connections (newest last). */
  readonly upgrades: WebRtcUpgradeOutcome[];
}
