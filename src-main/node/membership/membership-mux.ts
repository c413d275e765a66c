// One inbound path for every cluster's membership messages: size-limit and strictly decode each, then hand
// it to the cluster it names. Anything else is counted and dropped; a peer's bytes never throw here.
import { decodeMembershipMessage } from '../../../src-shared/protocol/membership-wire.ts';
import type { ClusterMembership } from './cluster-membership.ts';
import type { MembershipTransport } from './membership-transport.ts';

export class MembershipMux {
  readonly #clusters = new Map<string, ClusterMembership>();
  readonly #onRejected: ((from: string, reason: string) => void) | undefined;
  #rejected = 0;

  constructor(transport: MembershipTransport, onRejected?: (from: string, reason: string) => void) {
    this.#onRejected = onRejected;
    transport.onMessage((from, bytes) => this.#receive(from, bytes));
  }

  /** Messages refused so far (undecodable, oversized, or for a cluster this node does not follow). */
  get rejected(): number {
    return this.#rejected;
  }

  add(cluster: ClusterMembership): void {
    this.#clusters.set(cluster.key, cluster);
  }

  remove(cluster: ClusterMembership): void {
    if (this.#clusters.get(cluster.key) === cluster) this.#clusters.delete(cluster.key);
  }

  #receive(from: string, bytes: Uint8Array): void {
    const decoded = decodeMembershipMessage(bytes);
    if (!decoded.ok) return this.#reject(from, decoded.reason);
    const cluster = this.#clusters.get(decoded.message.cluster);
    if (cluster === undefined) return this.#reject(from, 'a cluster this node does not follow');
    cluster.receive(from, decoded.message);
  }

  #reject(from: string, reason: string): void {
    this.#rejected += 1;
    this.#onRejected?.(from, reason);
  }
}
