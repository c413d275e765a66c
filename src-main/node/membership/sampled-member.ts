// What one cluster's membership exchanges with its owner: what it needs (transport, clock, this node's load)
// and what it offers the router (verified members, their load on demand).
import type { MemberDescriptor, Rumor } from '../../../src-shared/protocol/membership-wire.ts';
import type { MemberChange } from './member-change.ts';
import type { MembershipClock, MembershipTransport } from './membership-transport.ts';

/** A member this node may route to: verified by its own answer, with what it last said about itself. */
export interface SampledMember {
  readonly peerId: string;
  readonly status: 'up' | 'paused';
  readonly suspect: boolean;
  readonly descriptor: MemberDescriptor;
  readonly lastHeardAt: number;
}

/** A member's answer to a load query, asked right before routing. */
export interface LoadReport {
  readonly capacity: number;
  readonly load: number;
  readonly ready: boolean;
}

export function sameDescriptor(a: MemberDescriptor, b: MemberDescriptor): boolean {
  return (
    a.state === b.state &&
    a.engine === b.engine &&
    a.capacity === b.capacity &&
    a.version === b.version &&
    a.engineNode === b.engineNode &&
    a.modelsReady.length === b.modelsReady.length &&
    a.modelsReady.every((model, i) => model === b.modelsReady[i])
  );
}

export interface ClusterMembershipDeps {
  readonly transport: MembershipTransport;
  readonly clock: MembershipClock;
  readonly random?: () => number;
  /** Member changes (up, paused, down) as this node sees them. */
  readonly onChange?: (change: MemberChange) => void;
  /** Every rumor that is news to this node (the simulator measures dissemination with it). */
  readonly onRumor?: (rumor: Rumor) => void;
  /** This node's load for the cluster, when it serves it. */
  readonly load?: () => LoadReport;
}
