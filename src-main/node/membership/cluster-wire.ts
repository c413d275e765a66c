// The sending half of one cluster's protocol: sequence numbers, replies awaited with a timeout, and rumors
// piggybacked on every outgoing message.
import {
  encodeMembershipMessageUnchecked,
  type MembershipBody,
  type MembershipMessage,
  type Rumor,
} from '../../../src-shared/protocol/membership-wire.ts';
import type { MembershipClock, MembershipTransport, TimerHandle } from './membership-transport.ts';
import type { RumorQueue } from './rumor-queue.ts';
import type { LoadReport } from './sampled-member.ts';

export type ReplyHandler = (from: string, message: MembershipMessage) => void;

export class ClusterWire {
  readonly #key: string;
  readonly #transport: MembershipTransport;
  readonly #clock: MembershipClock;
  readonly #rumors: RumorQueue;
  readonly #maxRumors: number;
  readonly #pending = new Map<number, { readonly handler: ReplyHandler; readonly timer: TimerHandle }>();
  #seq = 0;

  constructor(
    key: string,
    transport: MembershipTransport,
    clock: MembershipClock,
    rumors: RumorQueue,
    maxRumors: number,
  ) {
    this.#key = key;
    this.#transport = transport;
    this.#clock = clock;
    this.#rumors = rumors;
    this.#maxRumors = maxRumors;
  }

  nextSeq(): number {
    this.#seq += 1;
    return this.#seq;
  }

  /** Wait for replies carrying `seq` until `timeoutMs`, then forget it (and call onTimeout). */
  expect(seq: number, timeoutMs: number, handler: ReplyHandler, onTimeout?: () => void): void {
    const timer = this.#clock.setTimer(timeoutMs, () => {
      this.#pending.delete(seq);
      onTimeout?.();
    });
    this.#pending.set(seq, { handler, timer });
  }

  /** A reply arrived: hand it to whoever waits for its seq (nobody: a late or forged reply, dropped). */
  deliverReply(from: string, message: MembershipMessage): void {
    this.#pending.get(message.seq)?.handler(from, message);
  }

  /** Send with the rumors due (after `first`, if any); returns the seq used. */
  send(to: string, body: MembershipBody, seq = this.nextSeq(), first: readonly Rumor[] = []): number {
    const due = this.#rumors.take(this.#maxRumors - first.length);
    this.sendWith(to, body, seq, first.length > 0 ? [...first, ...due] : due);
    return seq;
  }

  sendWith(to: string, body: MembershipBody, seq: number, rumors: readonly Rumor[]): void {
    const message = { ...body, cluster: this.#key, seq, rumors } as MembershipMessage;
    this.#transport.send(to, encodeMembershipMessageUnchecked(message));
  }

  publish(topic: string, rumor: Rumor): void {
    const message: MembershipMessage = {
      kind: 'shuffle-reply',
      entries: [],
      cluster: this.#key,
      seq: 0,
      rumors: [rumor],
    };
    this.#transport.publish(topic, encodeMembershipMessageUnchecked(message));
  }

  /** Ask a member for its queue and capacity; null when it does not answer in time. */
  queryLoad(peerId: string, timeoutMs: number, callback: (report: LoadReport | null) => void): void {
    const seq = this.nextSeq();
    let done = false;
    const finish = (report: LoadReport | null): void => {
      if (done) return;
      done = true;
      callback(report);
    };
    this.expect(
      seq,
      timeoutMs,
      (from, message) => {
        if (from !== peerId) return;
        if (message.kind === 'load')
          finish({ capacity: message.capacity, load: message.load, ready: message.ready });
        else if (message.kind === 'not-member') finish(null);
      },
      () => finish(null),
    );
    this.send(peerId, { kind: 'load-query' }, seq);
  }

  close(): void {
    for (const pending of this.#pending.values()) this.#clock.clearTimer(pending.timer);
    this.#pending.clear();
  }
}
