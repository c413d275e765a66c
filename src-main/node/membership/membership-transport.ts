// What the membership protocol needs from the world, and nothing more: so the same modules run in the node
// (libp2p streams, gossipsub, the DHT, the wall clock) and in the simulator (a virtual clock and links with
// latency, loss and partitions). Messages are datagrams: a lost one is never retried by the transport, the
// protocol's own timeouts decide (as SWIM was designed over UDP).
import type { ClusterId } from '../../../src-shared/protocol/protocol-ids.ts';

/** A pending timer; opaque to the protocol. */
export type TimerHandle = object;

/** Time as the protocol sees it: the wall clock in the node, a virtual clock in the simulator. */
export interface MembershipClock {
  now(): number;
  setTimer(delayMs: number, callback: () => void): TimerHandle;
  clearTimer(handle: TimerHandle): void;
}

/** Delivers one encoded membership message from a peer (already authenticated as `from` by the transport). */
export type MessageHandler = (from: string, bytes: Uint8Array) => void;

export interface MembershipTransport {
  /** This node's peer id. */
  readonly self: string;
  /** Send one message; delivery is not guaranteed and never reported. */
  send(to: string, bytes: Uint8Array): void;
  /** The one handler for every inbound message; replaces a previous one. */
  onMessage(handler: MessageHandler): void;
  /** Publish a rare event on a gossip topic (best effort). */
  publish(topic: string, bytes: Uint8Array): void;
  /** Receive a gossip topic; returns the unsubscribe function. */
  subscribe(topic: string, handler: MessageHandler): () => void;
  /**
   * Members of a cluster that advertised themselves (DHT provider records in the node); the callback may run
   * more than once as answers arrive.
   */
  findMembers(cluster: ClusterId, limit: number, callback: (peerIds: readonly string[]) => void): void;
  /** Advertise this node as a member of a cluster (a DHT provider record in the node); idempotent. */
  advertise(cluster: ClusterId, on: boolean): void;
}
