// One inbound path for every cluster's membership messages: size-limit and strictly decode each, then hand
// it to the cluster it names. Anything else is counted and dropped; a peer's bytes never throw here.
import {
  decodeMembershipMessage,
  encodeMembershipMessageUnchecked,
  type MembershipMessage,
} from '../../../src-shared/protocol/membership-wire.ts';
import type { ClusterMembership } from './cluster-membership.ts';
import type { MembershipTransport } from './membership-transport.ts';

/** Requests: they wait for an answer, so one for a cluster this node does not follow is answered "not-member". */
const REQUESTS: ReadonlySet<MembershipMessage['kind']> = new Set([
  'ping',
  'ping-req',
  'shuffle',
  'load-query',
]);

export class MembershipMux {
  readonly #clusters = new Map<string, ClusterMembership>();
  readonly #transport: MembershipTransport;
  readonly #onRejected: ((from: string, reason: string) => void) | undefined;
  #rejected = 0;
  #notFollowed = 0;

  constructor(transport: MembershipTransport, onRejected?: (from: string, reason: string) => void) {
    this.#transport = transport;
    this.#onRejected = onRejected;
    transport.onMessage((from, bytes) => this.#receive(from, bytes));
  }

  /** Messages refused so far (undecodable or oversized). */
  get rejected(): number {
    return this.#rejected;
  }

  /**
   * Messages for a cluster this node does not follow (requests among them answered "not-member"): normal
   * while nodes join and leave, so counted, not reported as refused.
   */
  get notFollowed(): number {
    return this.#notFollowed;
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
    const message = decoded.message;
    const cluster = this.#clusters.get(message.cluster);
    if (cluster !== undefined) return cluster.receive(from, message);
    // Silence would look like death to the sender, which then retries us for as long as it thinks we might
    // be a member (a region's other clusters, a node not joined yet or gone): say so, once per request.
    if (REQUESTS.has(message.kind))
      this.#transport.send(
        from,
        encodeMembershipMessageUnchecked({
          kind: 'not-member',
          cluster: message.cluster,
          seq: message.seq,
          rumors: [],
        }),
      );
    this.#notFollowed += 1;
  }

  #reject(from: string, reason: string): void {
    this.#rejected += 1;
    this.#onRejected?.(from, reason);
  }
}
