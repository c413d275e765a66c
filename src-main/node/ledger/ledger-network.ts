// The ledger on libp2p: blocks gossiped on `/og/2/<region>/ledger` with validators (invalid → reject,
// missing predecessor → ignore and pull from the sender), fraud proofs on `/og/2/fraud`, and
// `/og/ledger-sync/2.0.0` for heads and ranges (one request and one response frame per stream), plus periodic
// anti-entropy with a random connected peer.
import { TopicValidatorResult } from '@libp2p/gossipsub';
import type { PeerId, Stream } from '@libp2p/interface';
import { peerIdFromString } from '@libp2p/peer-id';
import { lpStream } from '@libp2p/utils';
import { TypedEventEmitter } from 'main-event';
import { encodeBlock } from '../../../src-shared/ledger/block-codec.ts';
import type { Block } from '../../../src-shared/ledger/block.ts';
import { encodeFraudProof, type FraudProof } from '../../../src-shared/ledger/fraud-proof.ts';
import { MAX_SYNC_FRAME_BYTES } from '../../../src-shared/ledger/sync/sync-messages.ts';
import type { GossipOutcome } from '../../../src-shared/ledger/validation-result.ts';
import {
  FRAUD_TOPIC,
  LEDGER_SYNC_PROTOCOL,
  ledgerTopic,
  reportsTopic,
} from '../../../src-shared/protocol/index.ts';
import {
  encodeNonSettlementReport,
  type NonSettlementReport,
} from '../../../src-shared/ledger/payment/non-settlement.ts';
import type { RegionId } from '../../../src-shared/regions/index.ts';
import { openStream } from '../p2p/open-stream.ts';
import type { OgLibp2p } from '../p2p/p2p-service.ts';
import type { LedgerService } from './ledger-service.ts';
import { LedgerSync } from './ledger-sync.ts';
import { answerSyncRequest } from './sync-answer.ts';
import { nativeSha256 } from './native-crypto.ts';
import { SenderRateLimit } from './sender-rate-limit.ts';
import { SettlementReports } from './settlement-reports.ts';
import { LedgerStoppingError, SyncProtocolError } from './errors.ts';

export interface LedgerNetworkComponents {
  readonly libp2p: OgLibp2p;
  readonly ledger: LedgerService;
}

export interface LedgerNetworkInit {
  readonly region: RegionId;
  /** Anti-entropy with a random connected peer every this many ms (0: never). */
  readonly antiEntropyMs?: number;
  readonly requestTimeoutMs?: number;
  readonly maxInboundStreams?: number;
  /** How long a requester has to settle before a report about it counts. */
  readonly settleDeadlineMs?: number;
  /** Per sender: free OPENs and junk fraud proofs passed on (burst, then per minute); more are ignored. */
  readonly freeGossipRate?: { readonly burst: number; readonly perMinute: number };
  /** Per sender: non-settlement reports judged and passed on. */
  readonly reportRate?: { readonly burst: number; readonly perMinute: number };
  /**
   * Per peer: work its sync requests may cost this node (units of one range page; a walk of every head
   * costs SYNC_COST_ALL). Beyond it a request is answered with a short error and no work.
   */
  readonly syncRate?: { readonly burst: number; readonly perMinute: number; readonly now?: () => number };
}

/** A node joining opens one account; a relay passes on its neighbours' few: generous for honest peers. */
export const DEFAULT_FREE_GOSSIP_RATE = { burst: 20, perMinute: 10 };
export const DEFAULT_REPORT_RATE = { burst: 20, perMinute: 20 };
/**
 * A joining node pulls a few hundred ranges from each of several peers; 6,000 units a minute per peer is 100
 * range pages or 5 walks of every head a second, so one peer cannot make this node work without bound.
 */
export const DEFAULT_SYNC_RATE = { burst: 2_000, perMinute: 6_000 };

export interface LedgerNetworkEvents {
  /** One anti-entropy or pull round with a peer failed (logged by the node; the next round retries). */
  'sync:error': CustomEvent<{ peer: string; error: Error }>;
}

const OUTCOME: Record<GossipOutcome, TopicValidatorResult> = {
  accept: TopicValidatorResult.Accept,
  reject: TopicValidatorResult.Reject,
  ignore: TopicValidatorResult.Ignore,
};

export class LedgerNetwork extends TypedEventEmitter<LedgerNetworkEvents> {
  readonly #libp2p: OgLibp2p;
  readonly #ledger: LedgerService;
  readonly #topic: string;
  readonly #reportsTopic: string;
  readonly #reports: SettlementReports;
  readonly #antiEntropyMs: number;
  readonly #timeoutMs: number;
  readonly #maxInboundStreams: number;
  readonly sync: LedgerSync;
  /** Sync requests this node answered, and refused for their sender's rate. */
  readonly served = { answered: 0, refused: 0 };
  readonly #syncRate: SenderRateLimit;
  #timer: ReturnType<typeof setInterval> | null = null;
  #controller = new AbortController();
  readonly #onPublish = (event: CustomEvent<Block>): void =>
    void this.#publish(this.#topic, encodeBlock(event.detail));
  readonly #onProof = (event: CustomEvent<FraudProof>): void =>
    void this.#publish(FRAUD_TOPIC, encodeFraudProof(event.detail));

  constructor(components: LedgerNetworkComponents, init: LedgerNetworkInit) {
    super();
    this.#libp2p = components.libp2p;
    this.#ledger = components.ledger;
    this.#topic = ledgerTopic(init.region);
    this.#reportsTopic = reportsTopic(init.region);
    this.#antiEntropyMs = init.antiEntropyMs ?? 30_000;
    this.#timeoutMs = init.requestTimeoutMs ?? 10_000;
    this.#maxInboundStreams = init.maxInboundStreams ?? 64;
    this.#syncRate = new SenderRateLimit(init.syncRate ?? DEFAULT_SYNC_RATE);
    this.sync = new LedgerSync(
      {
        target: this.#ledger,
        transport: { request: (peer, bytes, options) => this.#request(peer, bytes, options.signal) },
      },
      {
        hasher: nativeSha256,
        requestTimeoutMs: this.#timeoutMs,
        freeGossipLimit: new SenderRateLimit(init.freeGossipRate ?? DEFAULT_FREE_GOSSIP_RATE),
      },
    );
    this.#reports = new SettlementReports(
      {
        ledger: this.#ledger,
        pullAccount: (peer, account, signal) => this.sync.pullAccount(peer, account, { signal }),
      },
      {
        pullTimeoutMs: this.#timeoutMs,
        perSender: new SenderRateLimit(init.reportRate ?? DEFAULT_REPORT_RATE),
        ...(init.settleDeadlineMs !== undefined ? { settleDeadlineMs: init.settleDeadlineMs } : {}),
      },
    );
  }

  async start(): Promise<void> {
    this.#controller = new AbortController();
    const pubsub = this.#libp2p.services.pubsub;
    pubsub.topicValidators.set(this.#topic, (from: PeerId, message) => {
      const { outcome, pull } = this.sync.onGossipBlock(message.data, from.toString());
      void pull;
      return OUTCOME[outcome];
    });
    pubsub.topicValidators.set(
      FRAUD_TOPIC,
      (from, message) => OUTCOME[this.sync.onGossipFraudProof(message.data, from.toString())],
    );
    pubsub.topicValidators.set(
      this.#reportsTopic,
      (from: PeerId, message) => OUTCOME[this.#reports.onGossip(message.data, from.toString())],
    );
    pubsub.subscribe(this.#topic);
    pubsub.subscribe(FRAUD_TOPIC);
    pubsub.subscribe(this.#reportsTopic);
    await this.#libp2p.handle(
      LEDGER_SYNC_PROTOCOL,
      (stream, connection) => this.#serve(stream, connection.remotePeer.toString()),
      {
        maxInboundStreams: this.#maxInboundStreams,
        maxOutboundStreams: this.#maxInboundStreams,
        runOnLimitedConnection: true,
      },
    );
    this.#ledger.addEventListener('block:publish', this.#onPublish);
    this.#ledger.addEventListener('fraud:proof', this.#onProof);
    if (this.#antiEntropyMs > 0) {
      this.#timer = setInterval(() => void this.antiEntropyRound(), this.#antiEntropyMs);
      this.#timer.unref();
    }
    this.#reports.resume();
  }

  async stop(): Promise<void> {
    this.#controller.abort(new LedgerStoppingError('ledger network stopping'));
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
    this.#ledger.removeEventListener('block:publish', this.#onPublish);
    this.#ledger.removeEventListener('fraud:proof', this.#onProof);
    const pubsub = this.#libp2p.services.pubsub;
    pubsub.unsubscribe(this.#topic);
    pubsub.unsubscribe(FRAUD_TOPIC);
    pubsub.unsubscribe(this.#reportsTopic);
    pubsub.topicValidators.delete(this.#reportsTopic);
    pubsub.topicValidators.delete(this.#topic);
    pubsub.topicValidators.delete(FRAUD_TOPIC);
    this.#reports.stop();
    await this.#libp2p.unhandle(LEDGER_SYNC_PROTOCOL);
  }

  /** Catch up with one peer now (a new node does this with a few peers before it opens its account). */
  async syncWith(peer: string, options: { signal?: AbortSignal } = {}): Promise<void> {
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.#controller.signal])
      : this.#controller.signal;
    await this.sync.syncWith(peer, { signal });
  }

  /**
   * Restore-from-backup guard (ref/ledger-design.md §7, without witnesses): before this node signs anything,
   * fetch its own chain from up to `maxPeers` connected peers, so a data dir restored from an old backup
   * continues after the last block it published instead of signing those seqs again (a fork). Resolves to the
   * highest own seq any peer reported.
   */
  async guardOwnChain(options: { signal?: AbortSignal; maxPeers?: number } = {}): Promise<bigint> {
    const signal = options.signal
      ? AbortSignal.any([options.signal, this.#controller.signal])
      : this.#controller.signal;
    let highest = 0n;
    for (const peer of this.#libp2p.getPeers().slice(0, options.maxPeers ?? 3)) {
      try {
        const seq = await this.sync.pullAccount(peer.toString(), this.#ledger.account, { signal });
        if (seq > highest) highest = seq;
      } catch (error) {
        this.safeDispatchEvent('sync:error', {
          detail: { peer: peer.toString(), error: error instanceof Error ? error : new Error(String(error)) },
        });
      }
    }
    return highest;
  }

  /** Reports of non-settlement waiting to be judged here (bounded; tests and the footprint). */
  get reportsQueued(): number {
    return this.#reports.queued;
  }

  /** Tell the region about a requester that did not settle, with its own signed evidence. */
  async publishReport(report: NonSettlementReport): Promise<void> {
    await this.#publish(this.#reportsTopic, encodeNonSettlementReport(report));
  }

  /** One anti-entropy round with a random connected peer. */
  async antiEntropyRound(): Promise<void> {
    const peers = this.#libp2p.getPeers();
    if (peers.length === 0) return;
    const peer = peers[Math.floor(Math.random() * peers.length)]!.toString();
    try {
      await this.syncWith(peer);
    } catch (error) {
      this.safeDispatchEvent('sync:error', {
        detail: { peer, error: error instanceof Error ? error : new Error(String(error)) },
      });
    }
  }

  async #publish(topic: string, data: Uint8Array): Promise<void> {
    try {
      await this.#libp2p.services.pubsub.publish(topic, data);
    } catch {
      // No subscribed peer yet: anti-entropy delivers the block later.
    }
  }

  async #request(peer: string, request: Uint8Array, signal: AbortSignal): Promise<Uint8Array> {
    // openStream: over a relayed connection we already have, not a second dial of the relay (p2p/open-stream.ts).
    const stream = await openStream(this.#libp2p, peerIdFromString(peer), LEDGER_SYNC_PROTOCOL, {
      signal,
      runOnLimitedConnection: true,
    });
    const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES });
    try {
      await lp.write(request, { signal });
      const response = await lp.read({ signal });
      return response.subarray();
    } finally {
      await closeStream(stream);
    }
  }

  async #serve(stream: Stream, peer: string): Promise<void> {
    const lp = lpStream(stream, { maxDataLength: MAX_SYNC_FRAME_BYTES });
    try {
      const request = await lp.read({ signal: AbortSignal.timeout(this.#timeoutMs) });
      const admit = (cost: number): boolean => {
        const ok = this.#syncRate.take(peer, cost);
        if (ok) this.served.answered++;
        else this.served.refused++;
        return ok;
      };
      await lp.write(answerSyncRequest(this.#ledger.view, request.subarray(), admit), {
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch {
      stream.abort(new SyncProtocolError('ledger sync request failed'));
      return;
    }
    await closeStream(stream);
  }
}

async function closeStream(stream: Stream): Promise<void> {
  try {
    await stream.close({ signal: AbortSignal.timeout(2_000) });
  } catch {
    stream.abort(new SyncProtocolError('close timed out'));
  }
}
