// One request to one member over an open /og/infer stream (the requester's side): the request frame, then a
// paid request's RESERVE (in that first frame when the member offered a quote earlier, else after its quote),
// and once admitted the reply as a stream of chunks. Returns how the member answered; routing decides what
// to do next (retry another member, wait in line).
import type { ChatChunk, ChatRequest } from '../../../src-shared/protocol/chat.ts';
import {
  INFER_WIRE_VERSION,
  type RequesterFrame,
  type WorkerFrame,
} from '../../../src-shared/protocol/infer-frames.ts';
import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';
import type { ClusterDirectory } from './cluster-directory.ts';
import type { FrameChannel } from './frame-channel.ts';
import type { NextRequestOffers } from './next-request-offers.ts';
import type { RequestPayment, RequesterPayments } from './payments.ts';
import { settleQuietly, streamReply, type MemberWatch } from './reply-stream.ts';

export type Attempt =
  | { readonly kind: 'admitted'; readonly chunks: AsyncGenerator<ChatChunk> }
  | { readonly kind: 'busy' }
  | { readonly kind: 'unavailable'; readonly why: string };

export interface MemberRequestComponents {
  readonly directory: ClusterDirectory;
  readonly payments?: RequesterPayments;
  readonly offers: NextRequestOffers;
  /** The time from the request's start to the member's first answer. */
  readonly recordRtt: (peerId: string, ms: number) => void;
}

export interface MemberRequestLimits {
  readonly admitTimeoutMs: number;
  readonly idleTimeoutMs: number;
  readonly memberLost: { readonly graceMs: number; readonly checkMs: number };
}

export interface MemberAsk {
  readonly peerId: string;
  readonly id: string;
  readonly tier: string;
  readonly request: ChatRequest;
  /** performance.now() when the attempt began. */
  readonly started: number;
  readonly signal?: AbortSignal;
}

export async function requestMember(
  channel: FrameChannel<WorkerFrame, RequesterFrame>,
  ask: MemberAsk,
  components: MemberRequestComponents,
  limits: MemberRequestLimits,
): Promise<Attempt> {
  const { peerId, id, tier, request, signal } = ask;
  // Until the reply stream owns it, a reservation made here is released unused when anything fails.
  let payment: RequestPayment | null = null;
  try {
    // A quote this worker offered at the end of an earlier reply: its RESERVE goes with the request.
    payment = await components.offers.take(peerId, tier, request);
    // Read right after writing: a worker that answers and closes at once must not hang us (EOF race).
    const reply = channel.read(limits.admitTimeoutMs, signal);
    // If the write fails, the catch below answers for the read too: never leave its rejection unhandled.
    reply.catch(() => undefined);
    await channel.write(
      {
        t: 'request',
        v: INFER_WIRE_VERSION,
        id,
        tier,
        request,
        ...(payment ? { reserve: payment.reserve } : {}),
      },
      signal,
    );
    let first = await reply;
    components.recordRtt(peerId, performance.now() - ask.started);
    if (first.t === 'quote' && payment) {
      // The worker did not take that RESERVE (the offer went stale): it is released unused, and the fresh
      // quote is answered as without an offer (the one retry).
      settleQuietly(payment, 'ended');
      payment = null;
      components.offers.forget(peerId);
    }
    if (first.t === 'quote') {
      const payments = components.payments;
      if (!payments) {
        channel.abort('no ledger');
        return { kind: 'unavailable', why: 'it asks for payment and this node keeps no ledger' };
      }
      const worker = { peerId, cluster: components.directory.members(tier).map((member) => member.peerId) };
      // Through the group commit when the ledger has one: concurrent requests' RESERVEs share one fsync.
      payment = payments.reserveQueued
        ? await payments.reserveQueued(worker, tier, request, first.quote)
        : payments.reserve(worker, tier, request, first.quote);
      await channel.write({ t: 'reserve', block: payment.reserve }, signal);
      first = await channel.read(limits.admitTimeoutMs, signal);
    }
    if (payment && first.t !== 'admitted') {
      settleQuietly(payment, 'ended');
      payment = null;
    }
    if (first.t === 'admitted') {
      const directory = components.directory;
      const watch: MemberWatch = {
        ...limits.memberLost,
        gone: () => !directory.members(tier).some((m) => m.peerId === peerId && m.status !== 'down'),
      };
      return {
        kind: 'admitted',
        chunks: streamReply(channel, payment, limits.idleTimeoutMs, signal, watch, (quote) =>
          components.offers.keep(peerId, tier, request, quote),
        ),
      };
    }
    await channel.close();
    if (first.t === 'refused')
      return first.reason === 'busy' ? { kind: 'busy' } : { kind: 'unavailable', why: first.message };
    return { kind: 'unavailable', why: `it answered ${first.t} before admitting` };
  } catch (error) {
    channel.abort('request failed');
    if (payment) settleQuietly(payment, 'ended');
    if (signal?.aborted) throw signal.reason;
    // This node's own problem (too low a balance): no other member can help.
    if (error instanceof ExpectedError) throw error;
    return { kind: 'unavailable', why: messageOf(error) };
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
