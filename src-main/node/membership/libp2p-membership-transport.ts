// The membership protocol over libp2p: one long-lived outbound stream per peer on `/og/membership/2.0.0`
// (a fresh stream costs ~10× a message on an open one, ref/libp2p-notes.md), length-prefixed frames with a
// size limit, gossipsub for the shard topics, and the wall clock. Messages are datagrams: a failed stream
// loses what was queued on it and the protocol's own timeouts decide, exactly as in the simulator.
import type { Message } from '@libp2p/gossipsub';
import type { Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import {
  MAX_MEMBERSHIP_MESSAGE_BYTES,
  MEMBERSHIP_PROTOCOL,
} from '../../../src-shared/protocol/membership-wire.ts';
import type { ClusterId } from '../../../src-shared/protocol/protocol-ids.ts';
import type { OgLibp2p } from '../p2p/p2p-service.ts';
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

interface Outbound {
  readonly ready: Promise<{ stream: Stream; write: (bytes: Uint8Array) => Promise<void> }>;
  tail: Promise<void>;
}

export class Libp2pMembershipTransport implements MembershipTransport {
  readonly #libp2p: OgLibp2p;
  readonly #outbound = new Map<string, Outbound>();
  readonly #topics = new Map<string, MessageHandler>();
  #handler: MessageHandler | null = null;
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
  }

  async stop(): Promise<void> {
    this.#libp2p.services.pubsub.removeEventListener('message', this.#onGossip);
    await this.#libp2p.unhandle(MEMBERSHIP_PROTOCOL);
    for (const outbound of this.#outbound.values())
      void outbound.ready.then(({ stream }) => stream.abort(new Error('membership stopped'))).catch(() => {});
    this.#outbound.clear();
    for (const topic of this.#topics.keys()) this.#libp2p.services.pubsub.unsubscribe(topic);
    this.#topics.clear();
  }

  onMessage(handler: MessageHandler): void {
    this.#handler = handler;
  }

  send(to: string, bytes: Uint8Array): void {
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
    this.#topics.set(topic, handler);
    this.#libp2p.services.pubsub.subscribe(topic);
    return () => {
      this.#topics.delete(topic);
      this.#libp2p.services.pubsub.unsubscribe(topic);
    };
  }

  /**
   * Seeds: the peers this node is connected to (bootstrap, DHT neighbours). A peer that is not a member
   * ignores the join. DHT provider records per cluster are the next step (see BENCHMARKS.md).
   */
  findMembers(_cluster: ClusterId, limit: number, callback: (peerIds: readonly string[]) => void): void {
    const peers = this.#libp2p.getPeers().map((peer) => peer.toString());
    for (let i = peers.length - 1; i > 0; i -= 1) {
      const j = Math.floor(Math.random() * (i + 1));
      [peers[i], peers[j]] = [peers[j]!, peers[i]!];
    }
    queueMicrotask(() => callback(peers.slice(0, limit)));
  }

  advertise(): void {
    // Provider records are not published yet: seeds come from connected peers (findMembers).
  }

  async #open(to: string): Promise<{ stream: Stream; write: (bytes: Uint8Array) => Promise<void> }> {
    const stream = await this.#libp2p.dialProtocol(peerIdFromString(to), MEMBERSHIP_PROTOCOL, {
      signal: AbortSignal.timeout(DIAL_TIMEOUT_MS),
      runOnLimitedConnection: true,
    });
    const lp = lpStream(stream, { maxDataLength: MAX_MEMBERSHIP_MESSAGE_BYTES });
    return { stream, write: (bytes) => lp.write(bytes) };
  }

  async #readInbound(stream: Stream, from: string): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: MAX_MEMBERSHIP_MESSAGE_BYTES });
    for (;;) {
      let frame;
      try {
        frame = await lp.read();
      } catch {
        // Closed, reset, or a frame over the limit: this stream is done (the peer may open another).
        stream.abort(new Error('membership stream ended'));
        return;
      }
      this.#handler?.(from, frame.subarray());
    }
  }
}
