// The worker's side of a paid request before anything runs (/og/infer): check that the requester's account can
// pay, quote, and take its RESERVE (or take the RESERVE that came with the request, for a quote offered at the
// end of an earlier reply). A quote holds no slot, but each costs a payer check and a timer, so the
// quotes a peer has open at once are counted (the worker lets it have no more than it has slots).
import type { Connection } from '@libp2p/interface';
import type { RequesterFrame, WorkerFrame } from '../../../src-shared/protocol/infer-frames.ts';
import type { Engine } from '../engine/engine.ts';
import { InferProtocolError, PaymentRefusedError } from './errors.ts';
import type { FrameChannel } from './frame-channel.ts';
import type { WorkPayment, WorkerPayments } from './payments.ts';
import type { Shareholder } from './shard-shares.ts';

export interface PaidNegotiationComponents {
  readonly payments?: WorkerPayments;
  readonly selfPeerId?: string;
  readonly shareholders?: (tier: string, engine: Engine) => readonly Shareholder[];
}

export interface PaidNegotiationLimits {
  /** How long checking a stranger's account (pulling its chain) may take. */
  readonly payerCheckTimeoutMs: number;
  /** How long a quoted requester has to answer with its RESERVE. */
  readonly reserveTimeoutMs: number;
  /** How long accepting the RESERVE (pulling the requester's chain) may take. */
  readonly requestTimeoutMs: number;
}

/** Quotes open per peer, and the negotiation of one paid request. */
export class PaidNegotiation {
  readonly #components: PaidNegotiationComponents;
  readonly #limits: PaidNegotiationLimits;
  /** Quotes per peer between its request and its RESERVE (or refusal). */
  readonly #open = new Map<string, number>();

  constructor(components: PaidNegotiationComponents, limits: PaidNegotiationLimits) {
    this.#components = components;
    this.#limits = limits;
  }

  /** Quotes `peer` has open now. */
  openQuotes(peer: string): number {
    return this.#open.get(peer) ?? 0;
  }

  /** One more quote open for `peer`, until quoteClosed. */
  quoteOpened(peer: string): void {
    this.#open.set(peer, this.openQuotes(peer) + 1);
  }

  quoteClosed(peer: string): void {
    const left = (this.#open.get(peer) ?? 1) - 1;
    if (left > 0) this.#open.set(peer, left);
    else this.#open.delete(peer);
  }

  /** Check the payer, quote, and take the requester's RESERVE. Throws PaymentRefusedError to refuse. */
  async agree(
    channel: FrameChannel<RequesterFrame, WorkerFrame>,
    connection: Connection,
    frame: Extract<RequesterFrame, { t: 'request' }>,
    engine: Engine,
  ): Promise<WorkPayment> {
    const payments = this.#components.payments;
    const peer = connection.remotePeer;
    if (!payments) throw new Error('unreachable: a paid request without payments');
    if (peer.type !== 'Ed25519')
      throw new PaymentRefusedError('requests are paid from Ed25519 accounts only');
    const requester = { account: peer.publicKey.raw, peer: peer.toString() };
    const problem = await payments.checkPayer(
      requester,
      AbortSignal.timeout(this.#limits.payerCheckTimeoutMs),
    );
    if (problem) throw new PaymentRefusedError(problem);
    if (frame.reserve !== undefined && payments.takeOffered) {
      // The RESERVE came with the request, for a quote this worker offered at the end of an earlier reply.
      const offered = payments.takeOffered(requester, frame.tier, frame.request, frame.reserve);
      if (offered) {
        const refused = await offered.acceptReserve(
          frame.reserve,
          AbortSignal.timeout(this.#limits.requestTimeoutMs),
        );
        if (refused) throw new PaymentRefusedError(refused);
        return offered;
      }
      // Not an offer of ours any more (expired, used, another request's maxima): quote afresh, as without
      // one. The requester releases that reservation unused: nothing runs on terms this worker did not offer.
    }
    const quoted = payments.quote(requester, frame.tier, frame.request, this.#shareholders(frame, engine));
    if (!quoted.ok) throw new PaymentRefusedError(quoted.problem);
    await channel.write({ t: 'quote', quote: quoted.payment.quote });
    let answer: RequesterFrame;
    try {
      answer = await channel.read(this.#limits.reserveTimeoutMs);
    } catch (error) {
      if (error instanceof InferProtocolError)
        throw new PaymentRefusedError(`no RESERVE within ${this.#limits.reserveTimeoutMs} ms of the quote`);
      throw error;
    }
    if (answer.t === 'cancel') throw new Error('cancelled by the requester');
    if (answer.t !== 'reserve') throw new PaymentRefusedError('a quote is answered with a RESERVE');
    const refused = await quoted.payment.acceptReserve(
      answer.block,
      AbortSignal.timeout(this.#limits.requestTimeoutMs),
    );
    if (refused) throw new PaymentRefusedError(refused);
    return quoted.payment;
  }

  /**
   * A quote for the requester's next request like this one, to hand out with this reply's end; null when
   * unpaid, or when the requester holds `limit` unused offers already.
   */
  offerNext(
    connection: Connection,
    frame: Extract<RequesterFrame, { t: 'request' }>,
    engine: Engine,
    limit: number,
  ): Uint8Array | null {
    const payments = this.#components.payments;
    const peer = connection.remotePeer;
    if (!payments?.offerNext || peer.type !== 'Ed25519') return null;
    return payments.offerNext(
      { account: peer.publicKey.raw, peer: peer.toString() },
      frame.tier,
      frame.request,
      this.#shareholders(frame, engine),
      limit,
    );
  }

  #shareholders(frame: Extract<RequesterFrame, { t: 'request' }>, engine: Engine): readonly Shareholder[] {
    const self = this.#components.selfPeerId ?? '';
    return this.#components.shareholders?.(frame.tier, engine) ?? [{ peerId: self, share: 1 }];
  }
}
