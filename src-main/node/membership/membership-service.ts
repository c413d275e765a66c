// The membership service (DESIGN.md §3): for the node's region, one gossipsub topic per tier
// (`/og/1/<region>/<tier>/members`). It publishes signed heartbeats on the clusters it serves, keeps a view of
// every cluster of its region (also those it does not serve, for routing), marks members down after missed
// heartbeats or a lost connection, and says goodbye on pause and shutdown.
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub';
import { TypedEventEmitter, type PeerId } from '@libp2p/interface';
import type { RegionId } from '../../../src-shared/regions/index.ts';
import {
  ENGINE_NODE_ID_PATTERN,
  MAX_MODELS_PER_HEARTBEAT,
  clusterKey,
  encodeHeartbeat,
  membersTopic,
  parseMembersTopic,
  type ClusterId,
  type Heartbeat,
  type MemberState,
} from '../../../src-shared/protocol/index.ts';
import type { OgLibp2p } from '../p2p/p2p-service.ts';
import { judgeHeartbeat } from './heartbeat-validation.ts';
import { MembershipView, type MemberChange } from './membership-view.ts';
import { memberSnapshot, selfSnapshot, type ClusterSnapshot } from './cluster-snapshot.ts';
import { ClusterConnections } from './cluster-connections.ts';
import type { LocalClusterState } from './local-cluster-state.ts';

export interface MembershipComponents {
  /** The started libp2p node (gossipsub as `pubsub`). */
  readonly libp2p: OgLibp2p;
}

export interface MembershipInit {
  /** How often this node beats on each cluster it serves. */
  readonly heartbeatIntervalMs?: number;
  /** Missed intervals before a member is down. */
  readonly missedHeartbeats?: number;
  readonly maxMembersPerCluster?: number;
  /** How many cluster members to keep direct connections to (gossipsub's mesh needs a few). */
  readonly clusterPeerTarget?: number;
  /** The app version announced in heartbeats. */
  readonly version?: string;
  readonly now?: () => number;
}

/** Which clusters of which region: serve ⊆ watch; every cluster served is also watched. */
export interface MembershipPlan {
  readonly region: RegionId;
  /** Tiers this node qualified for: it beats there. */
  readonly serve: readonly string[];
  /** Tiers of the region to keep a view of (normally every tier in the network config). */
  readonly watch: readonly string[];
}

export type { LocalClusterState } from './local-cluster-state.ts';

export interface RejectedHeartbeat {
  readonly topic: string;
  /** The peer that handed us the message (the one whose score drops). */
  readonly propagationSource: string;
  readonly reason: string;
}

export interface MembershipEvents {
  'member-change': CustomEvent<MemberChange>;
  'heartbeat-rejected': CustomEvent<RejectedHeartbeat>;
}

export type { ClusterSnapshot, MemberSnapshot } from './cluster-snapshot.ts';

export const DEFAULT_HEARTBEAT_INTERVAL_MS = 5000;
export const DEFAULT_MISSED_HEARTBEATS = 3;

interface Joined {
  readonly plan: MembershipPlan;
  readonly views: Map<string, MembershipView>;
  readonly timers: ReturnType<typeof setInterval>[];
}

export class MembershipService extends TypedEventEmitter<MembershipEvents> {
  readonly #libp2p: OgLibp2p;
  readonly #intervalMs: number;
  readonly #missed: number;
  readonly #maxMembers: number;
  readonly #version: string;
  readonly #now: () => number;
  readonly #local = new Map<string, LocalClusterState>();
  #joined: Joined | null = null;
  #state: MemberState = 'active';
  #seq = 0;
  #rejected = 0;
  readonly #connections: ClusterConnections;
  readonly #onMessage = (event: CustomEvent<Message>): void => this.#handleMessage(event.detail);
  readonly #onDisconnect = (event: CustomEvent<PeerId>): void =>
    this.#handleDisconnect(event.detail.toString());

  constructor(components: MembershipComponents, init: MembershipInit = {}) {
    super();
    this.#libp2p = components.libp2p;
    this.#intervalMs = init.heartbeatIntervalMs ?? DEFAULT_HEARTBEAT_INTERVAL_MS;
    this.#missed = init.missedHeartbeats ?? DEFAULT_MISSED_HEARTBEATS;
    this.#maxMembers = init.maxMembersPerCluster ?? 10_000;
    this.#connections = new ClusterConnections(components.libp2p, init.clusterPeerTarget ?? 8);
    this.#version = (init.version ?? '0.0.0').slice(0, 32);
    this.#now = init.now ?? Date.now;
  }

  start(): Promise<void> {
    this.#libp2p.services.pubsub.addEventListener('message', this.#onMessage);
    this.#libp2p.addEventListener('peer:disconnect', this.#onDisconnect);
    return Promise.resolve();
  }

  /** Leaves (announcing it) and stops listening. */
  async stop(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.leave(options);
    this.#libp2p.services.pubsub.removeEventListener('message', this.#onMessage);
    this.#libp2p.removeEventListener('peer:disconnect', this.#onDisconnect);
  }

  /**
   * Join the clusters of a region: subscribe to every watched tier, beat on every served one. Joining again
   * (a new region after a network change, new tiers after a config update) leaves the old plan first.
   */
  async join(plan: MembershipPlan, options: { signal?: AbortSignal } = {}): Promise<void> {
    if (this.#joined !== null) await this.leave(options);
    const watch = [...new Set([...plan.watch, ...plan.serve])];
    const pubsub = this.#libp2p.services.pubsub;
    const views = new Map<string, MembershipView>();
    for (const tier of watch) {
      const cluster: ClusterId = { region: plan.region, tier };
      const topic = membersTopic(cluster);
      const view = new MembershipView(cluster, {
        missedHeartbeats: this.#missed,
        maxMembers: this.#maxMembers,
        forgetDownAfterMs: 20 * this.#intervalMs,
      });
      views.set(topic, view);
      pubsub.topicValidators.set(topic, (_from, message) => this.#validate(message));
      pubsub.subscribe(topic);
    }
    const sweepMs = Math.max(25, Math.min(1000, Math.floor(this.#intervalMs / 2)));
    const timers = [
      setInterval(() => void this.#beat(), this.#intervalMs),
      setInterval(() => this.#sweep(), sweepMs),
    ];
    for (const timer of timers) timer.unref();
    this.#joined = { plan: { ...plan, watch }, views, timers };
    this.#seq = Math.max(this.#seq, this.#now());
    await this.#beat();
  }

  /** Announce leaving on every served cluster, unsubscribe, forget the views. */
  async leave(options: { signal?: AbortSignal } = {}): Promise<void> {
    const joined = this.#joined;
    if (joined === null) return;
    for (const timer of joined.timers) clearInterval(timer);
    await this.#publishAll('leaving', options.signal);
    this.#joined = null;
    const pubsub = this.#libp2p.services.pubsub;
    for (const topic of joined.views.keys()) {
      pubsub.unsubscribe(topic);
      pubsub.topicValidators.delete(topic);
    }
  }

  /** Stop taking work: members see us as paused right away. Views keep updating (requesting still works). */
  async pause(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#state = 'paused';
    await this.#publishAll('paused', options.signal);
  }

  async resume(options: { signal?: AbortSignal } = {}): Promise<void> {
    this.#state = 'active';
    await this.#publishAll('active', options.signal);
  }

  /** What the next heartbeats say about this node's engine for `tier`. */
  setLocalState(tier: string, state: LocalClusterState): void {
    // Clamp to what the wire format carries, so an odd engine report can never make our heartbeats invalid.
    const slots = (n: number): number => (Number.isSafeInteger(n) ? Math.min(Math.max(n, 0), 1024) : 0);
    this.#local.set(tier, {
      engine: state.engine,
      modelsReady: state.modelsReady
        .filter((model) => model.length > 0 && model.length <= 128)
        .slice(0, MAX_MODELS_PER_HEARTBEAT),
      capacity: slots(state.capacity),
      load: slots(state.load),
      ...(state.engineNode !== undefined && ENGINE_NODE_ID_PATTERN.test(state.engineNode)
        ? { engineNode: state.engineNode }
        : {}),
    });
  }

  get plan(): MembershipPlan | null {
    return this.#joined?.plan ?? null;
  }

  get paused(): boolean {
    return this.#state === 'paused';
  }

  /** Heartbeats rejected since start (malformed, oversized, wrong region, forged). */
  get rejectedCount(): number {
    return this.#rejected;
  }

  /** The view of one cluster of the joined region. */
  view(tier: string): MembershipView | undefined {
    const joined = this.#joined;
    if (joined === null) return undefined;
    return joined.views.get(membersTopic({ region: joined.plan.region, tier }));
  }

  /** Every cluster of the joined region with its members (self included where served). */
  snapshot(): ClusterSnapshot[] {
    const joined = this.#joined;
    if (joined === null) return [];
    const now = this.#now();
    const self = this.#libp2p.peerId.toString();
    return [...joined.views.values()].map((view) => {
      const serving = joined.plan.serve.includes(view.cluster.tier);
      const members = view.members().map((record) => memberSnapshot(record, now));
      if (serving) {
        members.unshift(
          selfSnapshot(self, this.#state === 'paused', this.#localState(view.cluster.tier), this.#version),
        );
      }
      return { cluster: view.cluster, key: clusterKey(view.cluster), serving, members };
    });
  }

  #validate(message: Message): TopicValidatorResult {
    const view = this.#joined?.views.get(message.topic);
    const region = this.#joined?.plan.region;
    if (view === undefined || region === undefined) return TopicValidatorResult.Ignore;
    const verdict = judgeHeartbeat(message, {
      ownRegion: region,
      now: this.#now(),
      lastSeq: (peerId) => view.lastSeq(peerId),
    });
    switch (verdict.verdict) {
      case 'accept':
        return TopicValidatorResult.Accept;
      case 'ignore':
        return TopicValidatorResult.Ignore;
      case 'reject':
        this.#rejected += 1;
        this.safeDispatchEvent('heartbeat-rejected', {
          detail: {
            topic: message.topic,
            propagationSource: message.type === 'signed' ? message.from.toString() : 'unknown',
            reason: verdict.reason,
          },
        });
        return TopicValidatorResult.Reject;
    }
  }

  #handleMessage(message: Message): void {
    const view = this.#joined?.views.get(message.topic);
    const region = this.#joined?.plan.region;
    if (view === undefined || region === undefined || parseMembersTopic(message.topic) === null) return;
    // The validator accepted this message; judging again yields the decoded heartbeat (a few µs).
    const verdict = judgeHeartbeat(message, { ownRegion: region, now: this.#now(), lastSeq: () => null });
    if (verdict.verdict !== 'accept') return;
    const change = view.apply(verdict.heartbeat, this.#now());
    if (change) this.safeDispatchEvent('member-change', { detail: change });
  }

  #handleDisconnect(peerId: string): void {
    const joined = this.#joined;
    if (joined === null) return;
    const now = this.#now();
    for (const view of joined.views.values()) {
      const change = view.markDown(peerId, 'disconnected', now);
      if (change) this.safeDispatchEvent('member-change', { detail: change });
    }
  }

  #sweep(): void {
    const joined = this.#joined;
    if (joined === null) return;
    const now = this.#now();
    for (const view of joined.views.values()) {
      for (const change of view.sweep(now)) this.safeDispatchEvent('member-change', { detail: change });
    }
  }

  /** Keep a few direct connections to live members of the region's clusters (see ClusterConnections). */
  #maintainConnections(): void {
    const joined = this.#joined;
    if (joined === null) return;
    const live = new Set<string>();
    for (const view of joined.views.values())
      for (const member of view.liveMembers()) live.add(member.peerId);
    this.#connections.maintain(live);
  }

  #localState(tier: string): LocalClusterState {
    return this.#local.get(tier) ?? { engine: 'none', modelsReady: [], capacity: 0, load: 0 };
  }

  async #beat(): Promise<void> {
    this.#maintainConnections();
    await this.#publishAll(this.#state);
  }

  async #publishAll(state: MemberState, signal?: AbortSignal): Promise<void> {
    const joined = this.#joined;
    if (joined === null) return;
    const pubsub = this.#libp2p.services.pubsub;
    const self = this.#libp2p.peerId.toString();
    await Promise.all(
      joined.plan.serve.map(async (tier) => {
        signal?.throwIfAborted();
        const local = this.#localState(tier);
        this.#seq += 1;
        const heartbeat: Heartbeat = {
          peerId: self,
          region: joined.plan.region,
          tier,
          state,
          engine: local.engine,
          modelsReady: local.modelsReady,
          capacity: local.capacity,
          load: local.load,
          version: this.#version,
          seq: this.#seq,
          sentAt: this.#now(),
          intervalMs: this.#intervalMs,
          ...(local.engineNode !== undefined ? { engineNode: local.engineNode } : {}),
        };
        try {
          await pubsub.publish(
            membersTopic({ region: joined.plan.region, tier }),
            encodeHeartbeat(heartbeat),
          );
        } catch {
          // No peers yet, or the node is stopping: the next beat tries again.
        }
      }),
    );
  }
}
