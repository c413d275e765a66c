// The membership protocol over libp2p: one long-lived outbound stream per peer on `/og/membership/2.0.0`
// (a fresh stream costs ~10× a message on an open one, ref/libp2p-notes.md), length-prefixed frames with a
// size limit, gossipsub for the shard topics, and the wall clock. Messages are datagrams: a failed stream
// loses what was queued on it and the protocol's own timeouts decide, exactly as in the simulator.
import { TopicValidatorResult, type Message } from '@libp2p/gossipsub';
import type { Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream, type LengthPrefixedStream } from '@libp2p/utils';
import {
  decodeMembershipMessage,
  MAX_MEMBERSHIP_MESSAGE_BYTES,
  MEMBERSHIP_PROTOCOL,
} from '../../../src-shared/protocol/membership-wire.ts';
import type { ClusterId } from '../../../src-shared/protocol/protocol-ids.ts';
import { openStream } from '../p2p/open-stream.ts';
import type { OgLibp2p } from '../p2p/p2p-service.ts';
import { findClusterProviders, provideCluster, unprovideCluster } from './cluster-providers.ts';
import type {
  MembershipClock,
  MembershipTransport,
  MessageHandler,
  TimerHandle,
} from './membership-transport.ts';

/** Inbound membership streams one node accepts at once (one per peer that probes it). */
const MAX_INBOUND_STREAMS = 256;
const DIAL_TIMEOUT_MS = 5_000;

/** The wall clock, with timers that never keep the process alive on their own. */
export const wallClock: MembershipClock = {
  now: () => Date.now(),
  setTimer: (delayMs, callback): TimerHandle => {
    const timer = setTimeout(callback, delayMs);
    timer.unref();
    return timer;
  },
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Membership messages this node sent and received on streams (gossip excluded), for status and benchmarks. */
export interface MembershipTraffic {
  sent: number;
  received: number;
  bytesSent: number;
  bytesReceived: number;
}

interface Outbound {
  readonly ready: Promise<{ stream: Stream; write: (bytes: Uint8Array) => Promise<void> }>;
  tail: Promise<void>;
}

export class Libp2pMembershipTransport implements MembershipTransport {
  readonly #libp2p: OgLibp2p;
  readonly #outbound = new Map<string, Outbound>();
  readonly #topics = new Map<string, MessageHandler>();
  #handler: MessageHandler | null = null;
  #running = false;
  readonly #traffic: MembershipTraffic = { sent: 0, received: 0, bytesSent: 0, bytesReceived: 0 };
  readonly #onGossip = (event: CustomEvent<Message>): void => {
    const message = event.detail;
    const handler = this.#topics.get(message.topic);
    if (handler !== undefined && message.type === 'signed') handler(message.from.toString(), message.data);
  };

  constructor(libp2p: OgLibp2p) {
    this.#libp2p = libp2p;
  }

  get self(): string {
    return this.#libp2p.peerId.toString();
  }

  async start(): Promise<void> {
    await this.#libp2p.handle(
      MEMBERSHIP_PROTOCOL,
      (stream, connection) => void this.#readInbound(stream, connection.remotePeer.toString()),
      { maxInboundStreams: MAX_INBOUND_STREAMS, runOnLimitedConnection: true },
    );
    this.#libp2p.services.pubsub.addEventListener('message', this.#onGossip);
    this.#running = true;
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#libp2p.services.pubsub.removeEventListener('message', this.#onGossip);
    await this.#libp2p.unhandle(MEMBERSHIP_PROTOCOL);
    for (const outbound of this.#outbound.values())
      void outbound.ready.then(({ stream }) => stream.abort(new Error('membership stopped'))).catch(() => {});
    this.#outbound.clear();
    for (const topic of this.#topics.keys()) {
      this.#libp2p.services.pubsub.topicValidators.delete(topic);
      this.#libp2p.services.pubsub.unsubscribe(topic);
    }
    this.#topics.clear();
  }

  onMessage(handler: MessageHandler): void {
    this.#handler = handler;
  }

  /** Counters since start (a copy). */
  get traffic(): MembershipTraffic {
    return { ...this.#traffic };
  }

  send(to: string, bytes: Uint8Array): void {
    this.#traffic.sent += 1;
    this.#traffic.bytesSent += bytes.byteLength;
    let outbound = this.#outbound.get(to);
    if (outbound === undefined) {
      outbound = { ready: this.#open(to), tail: Promise.resolve() };
      this.#outbound.set(to, outbound);
    }
    const current = outbound;
    current.tail = current.tail
      .then(() => current.ready)
      .then(({ write }) => write(bytes))
      .catch(() => {
        // Lost, like a datagram: forget the stream so the next message dials afresh.
        if (this.#outbound.get(to) === current) this.#outbound.delete(to);
      });
  }

  publish(topic: string, bytes: Uint8Array): void {
    this.#libp2p.services.pubsub.publish(topic, bytes).catch(() => {
      // No peers on the shard yet, or stopping: rare events are best effort.
    });
  }

  subscribe(topic: string, handler: MessageHandler): () => void {
    const pubsub = this.#libp2p.services.pubsub;
    this.#topics.set(topic, handler);
    // Garbage on a shard is refused before gossipsub passes it on (and costs its sender score).
    pubsub.topicValidators.set(topic, (_from, message) =>
      decodeMembershipMessage(message.data).ok ? TopicValidatorResult.Accept : TopicValidatorResult.Reject,
    );
    pubsub.subscribe(topic);
    return () => {
      this.#topics.delete(topic);
      pubsub.topicValidators.delete(topic);
      pubsub.unsubscribe(topic);
    };
  }

  /**
   * Seeds: members that provide the cluster's DHT key, and the peers this node is connected to (bootstrap,
   * DHT neighbours; one that is not a member never answers the verification probe and is dropped). Connected
   * peers are handed over at once, providers when the DHT lookup ends: the callback may run twice.
   */
  findMembers(cluster: ClusterId, limit: number, callback: (peerIds: readonly string[]) => void): void {
    const peers = this.#libp2p.getPeers().map((peer) => peer.toString());
    shuffle(peers);
    queueMicrotask(() => callback(peers.slice(0, limit)));
    void findClusterProviders(this.#libp2p, cluster, limit).then((providers) => {
      const fresh = providers.filter((peerId) => !peers.includes(peerId));
      if (fresh.length > 0 && this.#running) callback(fresh);
    });
  }

  /** A DHT provider record for the cluster while this node is a member (republished by the DHT). */
  advertise(cluster: ClusterId, on: boolean): void {
    if (on) void provideCluster(this.#libp2p, cluster);
    else void unprovideCluster(this.#libp2p, cluster);
  }

  async #open(to: string): Promise<{ stream: Stream; write: (bytes: Uint8Array) => Promise<void> }> {
    // openStream: over a relayed connection we already have, not a second dial of the relay (p2p/open-stream.ts).
    const stream = await openStream(this.#libp2p, peerIdFromString(to), MEMBERSHIP_PROTOCOL, {
      signal: AbortSignal.timeout(DIAL_TIMEOUT_MS),
      runOnLimitedConnection: true,
    });
    const lp = lpStream(stream, { maxDataLength: MAX_MEMBERSHIP_MESSAGE_BYTES });
    // The peer may answer on this stream (it does when it has none of its own to us yet).
    void this.#readFrames(stream, lp, to);
    return { stream, write: (bytes) => lp.write(bytes) };
  }

  async #readInbound(stream: Stream, from: string): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: MAX_MEMBERSHIP_MESSAGE_BYTES });
    // Answer on the stream the peer opened rather than opening one back: a first contact (a verification, a
    // join) then costs one stream opening instead of two, which on a busy node outlasted the reply deadline.
    const answerOn: Outbound = {
      ready: Promise.resolve({ stream, write: (bytes) => lp.write(bytes) }),
      tail: Promise.resolve(),
    };
    if (!this.#outbound.has(from) && this.#running) this.#outbound.set(from, answerOn);
    await this.#readFrames(stream, lp, from);
    // The stream ended: the next message to this peer dials afresh (a dead stream would lose it), and a peer
    // that opens a stream and goes leaves nothing behind.
    if (this.#outbound.get(from) === answerOn) this.#outbound.delete(from);
  }

  async #readFrames(stream: Stream, lp: LengthPrefixedStream<Stream>, from: string): Promise<void> {
    for (;;) {
      let frame;
      try {
        frame = await lp.read();
      } catch {
        // Closed, reset, or a frame over the limit: this stream is done (the peer may open another).
        stream.abort(new Error('membership stream ended'));
        return;
      }
      this.#traffic.received += 1;
      this.#traffic.bytesReceived += frame.byteLength;
      this.#handler?.(from, frame.subarray());
    }
  }
}

function shuffle<T>(items: T[]): void {
  for (let i = items.length - 1; i > 0; i -= 1) {
    const j = Math.floor(Math.random() * (i + 1));
    [items[i], items[j]] = [items[j]!, items[i]!];
  }
}
