// A cluster of simulated nodes, each running the node's own membership modules (ClusterMembership behind a
// MembershipMux) over the simulated network. Tests and bench/scale.ts drive it and read what nodes observe.
import type { Rumor, MemberDescriptor } from '../../src-shared/protocol/membership-wire.ts';
import type { ClusterId } from '../../src-shared/protocol/protocol-ids.ts';
import {
  ClusterMembership,
  type ClusterMembershipOptions,
  type LoadReport,
} from '../../src-main/node/membership/cluster-membership.ts';
import type { MemberChange } from '../../src-main/node/membership/member-change.ts';
import { MembershipMux } from '../../src-main/node/membership/membership-mux.ts';
import { SimulatedNetwork, simulatedPeerId, type SimulatedNetworkOptions } from './simulated-network.ts';

export const SIM_CLUSTER: ClusterId = { region: 'asia', tier: 'model-a' };

export interface SimulatedMember {
  readonly id: string;
  readonly membership: ClusterMembership;
  readonly mux: MembershipMux;
  /** What the node answers to load queries (the simulator's routing experiment sets it). */
  load: LoadReport;
  crashed: boolean;
}

export interface ClusterObserver {
  onChange?(observer: string, change: MemberChange): void;
  onRumor?(observer: string, rumor: Rumor): void;
}

export function readyDescriptor(capacity: number): MemberDescriptor {
  return { state: 'active', engine: 'ready', modelsReady: ['model-a'], capacity, version: '0.2.0' };
}

export class SimulatedCluster {
  readonly network: SimulatedNetwork;
  readonly members: SimulatedMember[] = [];
  readonly #options: ClusterMembershipOptions;
  readonly #observer: ClusterObserver;

  constructor(
    networkOptions: SimulatedNetworkOptions,
    options: ClusterMembershipOptions,
    observer: ClusterObserver = {},
  ) {
    this.network = new SimulatedNetwork(networkOptions);
    this.#options = options;
    this.#observer = observer;
  }

  get clock() {
    return this.network.clock;
  }

  /** A new node (not started); `capacity` 0 makes it a watcher of the cluster, not a member. */
  add(capacity = 4): SimulatedMember {
    const id = simulatedPeerId(this.members.length, this.network.random);
    const transport = this.network.addNode(id);
    const mux = new MembershipMux(transport);
    const member: SimulatedMember = {
      id,
      mux,
      load: { capacity, load: 0, ready: capacity > 0 },
      crashed: false,
      membership: undefined as unknown as ClusterMembership,
    };
    const membership = new ClusterMembership(
      SIM_CLUSTER,
      capacity > 0 ? readyDescriptor(capacity) : null,
      {
        transport,
        clock: this.network.clock,
        random: this.network.random,
        load: () => member.load,
        onChange: (change) => this.#observer.onChange?.(id, change),
        onRumor: (rumor) => this.#observer.onRumor?.(id, rumor),
      },
      this.#options,
    );
    (member as { membership: ClusterMembership }).membership = membership;
    mux.add(membership);
    this.members.push(member);
    return member;
  }

  /** SIGKILL: no goodbye, the node's traffic stops. */
  crash(member: SimulatedMember): void {
    member.crashed = true;
    this.network.crash(member.id);
    member.membership.stop(false);
  }

  /** Survivors whose active view still holds `peerId` as a verified member (alive or only suspected). */
  holders(peerId: string): number {
    let count = 0;
    for (const member of this.members) if (!member.crashed && member.membership.holds(peerId)) count += 1;
    return count;
  }

  runFor(ms: number): void {
    this.network.clock.runUntil(this.network.clock.now() + ms);
  }
}
