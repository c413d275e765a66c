// What a node is built from (its options) and, for tests and benches only, the services it built.
import type { RegionId } from '../../src-shared/regions/index.ts';
import type { GeoInit } from './geo/geo-service.ts';
import type { IdentityInit } from './identity/identity-service.ts';
import type { LedgerService } from './ledger/ledger-service.ts';
import type { NodeLedger, NodeLedgerInit } from './ledger/node-ledger.ts';
import type { MembershipService } from './membership/membership-service.ts';
import type { ModelsInit, ModelsService } from './models/models-service.ts';
import type { WeightsInit, WeightsService } from './weights/weights-service.ts';
import type { NetworkChangeWatcherInit } from './p2p/network-change-watcher.ts';
import type { P2pService } from './p2p/p2p-service.ts';
import type { ProfileInit } from './profile/profile-service.ts';
import type { RoutingInit, RoutingService } from './routing/routing-service.ts';
import type { RunningNodeEvents } from './running-node.ts';

export interface NodeOptions {
  readonly dataDir: string;
  /** A signed config to use (and store in the data dir); the stored copy otherwise. */
  readonly networkConfigPath?: string;
  readonly listen?: readonly string[];
  /** Extra bootstrap addresses beyond the network config's. */
  readonly bootstrap?: readonly string[];
  /** The user's region choice; wins over every evidence. */
  readonly region?: RegionId | null;
  /** Run the relay server and act as a well-connected bootstrap node. */
  readonly relay?: boolean;
  /** Serve these tiers whatever the profile says (devnets and tests, with the engine double). */
  readonly serveTiers?: readonly string[];
  /** Loopback/LAN network: private addresses count. Default: true when any address given is private. */
  readonly privateNetwork?: boolean;
  /** The membership interval: every member of the node's samples is probed once per interval. */
  readonly heartbeatIntervalMs?: number;
  /** How long onboarding waits for a first bootstrap connection before going on alone. */
  readonly bootstrapWaitMs?: number;
  readonly version?: string;
  readonly log?: (line: string) => void;
  /** Injected in tests. */
  readonly identity?: IdentityInit;
  readonly profile?: ProfileInit;
  readonly geo?: Omit<GeoInit, 'override'>;
  /** How network changes are noticed (tests inject interface lists). */
  readonly networkChange?: NetworkChangeWatcherInit;
  /** Engines, capacity and request routing (EXO found on the machine by default). */
  readonly routing?: RoutingInit;
  /** Model downloads (tests inject a full disk or short retries). */
  readonly models?: ModelsInit;
  /** Model files from peers: the upload cap for seeding (default modest), scheduler timings in tests. */
  readonly weights?: Omit<WeightsInit, 'blocksDir'>;
  /** Ledger timings (tests shorten them). */
  readonly ledger?: NodeLedgerInit;
  /**
   * Nothing leaves the machine: no DNS names resolved, no UPnP (build machines and tests).
   * Default: the environment variable OPENGATEWAY_LOCAL_ONLY=1.
   */
  readonly localOnly?: boolean;
  /** Contribute only once the welcome was answered with consent (the desktop app). Default: false. */
  readonly requireConsent?: boolean;
}

/** The node's events (the same as every RunningNode's). */
export type NodeEvents = RunningNodeEvents;

/** The node's services, for tests and benches only: faces use RunningNode. */
export interface NodeServicesForTests {
  readonly p2p: P2pService | null;
  readonly membership: MembershipService | null;
  readonly routing: RoutingService | null;
  readonly ledger: LedgerService | null;
  readonly nodeLedger: NodeLedger | null;
  readonly models: ModelsService | null;
  readonly weights: WeightsService | null;
}
