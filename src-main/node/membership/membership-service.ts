// The membership service (DESIGN.md §3, issue 16): for the node's region, one sampled membership per tier
// (cluster-membership.ts: a random sample of live members, SWIM probes over `/og/membership/2.0.0` streams,
// rumors piggybacked on probes, rare events on `/og/2/<region>/<tier>/members/<shard>`, seeds from DHT
// provider records). Nothing floods the region: a node's cost depends on its view size and the interval, not
// on how many members a cluster has. Load is asked of two candidates right before routing (queryLoad), so
// what members announce about themselves (the descriptor) changes rarely.
import { TypedEventEmitter } from '@libp2p/interface';
import type { RegionId } from '../../../src-shared/regions/index.ts';
import { clusterKey, type ClusterId } from '../../../src-shared/protocol/index.ts';
import type { MemberDescriptor } from '../../../src-shared/protocol/membership-wire.ts';
import type { OgLibp2p } from '../p2p/p2p-service.ts';
import { ClusterMembership, type ClusterMembershipOptions, type LoadReport } from './cluster-membership.ts';
import { selfSnapshot, type ClusterSnapshot, type MemberSnapshot } from './cluster-snapshot.ts';
import {
  Libp2pMembershipTransport,
  wallClock,
  type MembershipTraffic,
} from './libp2p-membership-transport.ts';
import type { LocalClusterState } from './local-cluster-state.ts';
import type { MemberChange } from './member-change.ts';
import { MembershipMux } from './membership-mux.ts';

export interface MembershipComponents {
  /** The started libp2p node (gossipsub as `pubsub`, the DHT as content routing). */
  readonly libp2p: OgLibp2p;
}

export interface MembershipInit {
  /** Every member of a node's sample is probed once per interval. */
  readonly heartbeatIntervalMs?: number;
  /** The protocol's other knobs (view sizes, shards); every node of a network must agree on `shards`. */
  readonly cluster?: Omit<ClusterMembershipOptions, 'intervalMs'>;
  /** The app version announced to members. */
  readonly version?: string;
  readonly now?: () => number;
}

/** Which clusters of which region: serve ⊆ watch; every cluster served is also watched. */
export interface MembershipPlan {
  readonly region: RegionId;
  /** Tiers this node qualified for: it is a member there. */
  readonly serve: readonly string[];
  /** Tiers of the region to keep a sample of (normally every tier in the network config), for routing. */
  readonly watch: readonly string[];
}

export type { LocalClusterState } from './local-cluster-state.ts';
export type { LoadReport } from './sampled-member.ts';

/** A membership message refused before it reached a cluster (undecodable, oversized). */
export interface RejectedMembershipMessage {
  readonly from: string;
  readonly reason: string;
}

export interface MembershipEvents {
  'member-change': CustomEvent<MemberChange>;
  'message-rejected': CustomEvent<RejectedMembershipMessage>;
}

export type { ClusterSnapshot, MemberSnapshot } from './cluster-snapshot.ts';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5000;
/** How long a load query waits for its answer before the router treats the candidate as unknown. */
export const DEFAULT_LOAD_QUERY_TIMEOUT_MS = 1000;
/** Load answers remembered per cluster (for status pages and as the next choice's first guess). */
const MAX_REMEMBERED_LOADS = 256;

interface Joined {
  readonly plan: MembershipPlan;
  /** tier → its cluster's membership. */
  readonly clusters: Map<string, ClusterMembership>;
}

export class MembershipService extends TypedEventEmitter<MembershipEvents> {
  readonly #libp2p: OgLibp2p;
  readonly #intervalMs: number;
  readonly #clusterOptions: ClusterMembershipOptions;
  readonly #version: string;
  readonly #now: () => number;
  readonly #transport: Libp2pMembershipTransport;
  readonly #mux: MembershipMux;
  readonly #local = new Map<string, LocalClusterState>();
  /** tier → peer → its last load answer. */
  readonly #loads = new Map<string, Map<string, LoadReport>>();
  #joined: Joined | null = null;
  #paused = false;
  #started = false;
  /**
   * A node that restarts must announce a higher incarnation than before (members remember it as left or
   * dead at the old one): seconds since the epoch at the first join, +1 for every later one.
   */
  #lastIncarnation = 0;

  constructor(components: MembershipComponents, init: MembershipInit = {}) {
    super();
    this.#libp2p = components.libp2p;
    this.#intervalMs = init.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.#clusterOptions = { ...init.cluster, intervalMs: this.#intervalMs };
    this.#version = (init.version ?? '0.0.0').slice(0, 32);
    this.#now = init.now ?? Date.now;
    this.#transport = new Libp2pMembershipTransport(components.libp2p);
    this.#mux = new MembershipMux(this.#transport, (from, reason) =>
      this.safeDispatchEvent('message-rejected', { detail: { from, reason } }),
    );
  }

  async start(): Promise<void> {
    if (this.#started) return;
    await this.#transport.start();
    this.#started = true;
  }

  /** Leaves (announcing it) and stops listening. */
  async stop(): Promise<void> {
    await this.leave();
    if (!this.#started) return;
    this.#started = false;
    await this.#transport.stop();
  }

  /**
   * Join the clusters of a region: a sample of every watched tier, membership of every served one. Joining
   * again (a tier's model became ready, a config update) changes only the clusters that differ; a new region
   * leaves the old one first.
   */
  async join(plan: MembershipPlan, _options: { signal?: AbortSignal } = {}): Promise<void> {
    const watch = [...new Set([...plan.watch, ...plan.serve])];
    const next: MembershipPlan = { ...plan, watch };
    const previous = this.#joined;
    if (previous !== null && previous.plan.region !== plan.region) await this.leave();
    const kept = this.#joined?.clusters ?? new Map<string, ClusterMembership>();
    const clusters = new Map<string, ClusterMembership>();
    for (const tier of watch) {
      const serving = plan.serve.includes(tier);
      const existing = kept.get(tier);
      if (existing !== undefined && existing.serving === serving) {
        clusters.set(tier, existing);
        kept.delete(tier);
        continue;
      }
      clusters.set(tier, this.#startCluster({ region: plan.region, tier }, serving));
    }
    for (const [tier, cluster] of kept) this.#stopCluster(tier, cluster, true);
    this.#joined = { plan: next, clusters };
    return Promise.resolve();
  }

  /** Say goodbye on every served cluster, stop probing, forget the samples. */
  async leave(_options: { signal?: AbortSignal } = {}): Promise<void> {
    const joined = this.#joined;
    if (joined === null) return;
    this.#joined = null;
    for (const [tier, cluster] of joined.clusters) this.#stopCluster(tier, cluster, true);
    // The goodbyes are queued on open streams: give them a moment to leave before the node stops.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  /** Stop taking work: members learn it from our next acks and the announcement. Requesting still works. */
  pause(_options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#paused = true;
    this.#announceAll();
    return Promise.resolve();
  }

  resume(_options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#paused = false;
    this.#announceAll();
    return Promise.resolve();
  }

  /** What this node says about its engine for `tier`: announced when it changes, load answered on demand. */
  setLocalState(tier: string, state: LocalClusterState): void {
    // Clamp to what the wire format carries, so an odd engine report can never make our messages invalid.
    const slots = (n: number): number => (Number.isSafeInteger(n) ? Math.min(Math.max(n, 0), 1024) : 0);
    this.#local.set(tier, {
      engine: state.engine,
      modelsReady: state.modelsReady.filter((model) => model.length > 0 && model.length <= 128).slice(0, 8),
      capacity: slots(state.capacity),
      load: slots(state.load),
      ...(state.engineNode !== undefined && /^[A-Za-z0-9._:-]{1,128}$/.test(state.engineNode)
        ? { engineNode: state.engineNode }
        : {}),
    });
    const cluster = this.#joined?.clusters.get(tier);
    if (cluster?.serving === true) cluster.setDescriptor(this.#descriptor(tier));
  }

  get plan(): MembershipPlan | null {
    return this.#joined?.plan ?? null;
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** Membership messages refused since start (malformed, oversized). */
  get rejectedCount(): number {
    return this.#mux.rejected;
  }

  /** Membership messages sent and received on streams since start. */
  get traffic(): MembershipTraffic {
    return this.#transport.traffic;
  }

  /** The membership of one cluster of the joined region. */
  cluster(tier: string): ClusterMembership | undefined {
    return this.#joined?.clusters.get(tier);
  }

  /**
   * Ask a member of `tier` for its queue and capacity right now (a small message on a warm stream); null
   * when it does not answer within `timeoutMs`. This node answers for itself without the network.
   */
  queryLoad(
    tier: string,
    peerId: string,
    timeoutMs = DEFAULT_LOAD_QUERY_TIMEOUT_MS,
  ): Promise<LoadReport | null> {
    const joined = this.#joined;
    if (joined === null) return Promise.resolve(null);
    if (peerId === this.#libp2p.peerId.toString()) {
      return Promise.resolve(joined.plan.serve.includes(tier) ? this.#loadReport(tier) : null);
    }
    const cluster = joined.clusters.get(tier);
    if (cluster === undefined) return Promise.resolve(null);
    return new Promise((resolve) => {
      cluster.queryLoad(peerId, timeoutMs, (report) => {
        if (report !== null) this.#rememberLoad(tier, peerId, report);
        resolve(report);
      });
    });
  }

  /** Every watched cluster of the joined region with its sampled members (self first where served). */
  snapshot(): ClusterSnapshot[] {
    const joined = this.#joined;
    if (joined === null) return [];
    const now = this.#now();
    const self = this.#libp2p.peerId.toString();
    return [...joined.clusters].map(([tier, cluster]) => {
      const loads = this.#loads.get(tier);
      const members: MemberSnapshot[] = cluster.members().map((member) => ({
        peerId: member.peerId,
        self: false,
        status: member.status,
        downReason: null,
        engine: member.descriptor.engine,
        modelsReady: member.descriptor.modelsReady,
        capacity: member.descriptor.capacity,
        load: Math.min(loads?.get(member.peerId)?.load ?? 0, member.descriptor.capacity),
        version: member.descriptor.version,
        ...(member.descriptor.engineNode !== undefined ? { engineNode: member.descriptor.engineNode } : {}),
        lastHeardMsAgo: Math.max(0, now - member.lastHeardAt),
      }));
      if (cluster.serving)
        members.unshift(selfSnapshot(self, this.#paused, this.#localState(tier), this.#version));
      return {
        cluster: cluster.cluster,
        key: clusterKey(cluster.cluster),
        serving: cluster.serving,
        members,
      };
    });
  }

  #startCluster(cluster: ClusterId, serving: boolean): ClusterMembership {
    const tier = cluster.tier;
    const membership = new ClusterMembership(
      cluster,
      serving ? this.#descriptor(tier) : null,
      {
        transport: this.#transport,
        clock: wallClock,
        onChange: (change) => this.safeDispatchEvent('member-change', { detail: change }),
        load: () => this.#loadReport(tier),
      },
      this.#clusterOptions,
    );
    this.#mux.add(membership);
    this.#lastIncarnation = Math.max(this.#lastIncarnation + 1, Math.floor(Date.now() / 1000));
    membership.start(this.#lastIncarnation);
    return membership;
  }

  #stopCluster(tier: string, cluster: ClusterMembership, leave: boolean): void {
    cluster.stop(leave);
    this.#mux.remove(cluster);
    this.#loads.delete(tier);
  }

  #announceAll(): void {
    for (const [tier, cluster] of this.#joined?.clusters ?? [])
      if (cluster.serving) cluster.setDescriptor(this.#descriptor(tier));
  }

  #descriptor(tier: string): MemberDescriptor {
    const local = this.#localState(tier);
    return {
      state: this.#paused ? 'paused' : 'active',
      engine: local.engine,
      modelsReady: local.modelsReady,
      capacity: local.capacity,
      version: this.#version,
      ...(local.engineNode !== undefined ? { engineNode: local.engineNode } : {}),
    };
  }

  #loadReport(tier: string): LoadReport {
    const local = this.#localState(tier);
    return {
      capacity: local.capacity,
      load: Math.min(local.load, local.capacity),
      ready: !this.#paused && local.engine === 'ready' && local.modelsReady.length > 0,
    };
  }

  #rememberLoad(tier: string, peerId: string, report: LoadReport): void {
    let loads = this.#loads.get(tier);
    if (loads === undefined) {
      loads = new Map();
      this.#loads.set(tier, loads);
    }
    loads.delete(peerId);
    loads.set(peerId, report);
    if (loads.size > MAX_REMEMBERED_LOADS) loads.delete(loads.keys().next().value!);
  }

  #localState(tier: string): LocalClusterState {
    return this.#local.get(tier) ?? { engine: 'none', modelsReady: [], capacity: 0, load: 0 };
  }
}
