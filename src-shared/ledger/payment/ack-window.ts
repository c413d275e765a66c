// The streaming allowance (ref/ledger-design.md §4 step 3): the requester signs a cumulative ack every
// ackEvery tokens; the worker stops streaming when it is `allowance` tokens ahead of the last valid ack, so a
// requester that stops acknowledging gets at most that many unpaid tokens.
import { bytesEqual } from '../bytes.ts';
import type { SignatureVerifier } from '../ed25519-strict.ts';
import type { Hasher } from '../hash.ts';
import { verifyAck, type Ack } from './ack.ts';

export type AckRejection = 'bad-signature' | 'other-request' | 'not-increasing' | 'beyond-sent';

/** The worker's side: tokens sent, the best ack, and whether it may send more. */
export class AckWindow {
  readonly #networkId: Uint8Array;
  readonly #requester: Uint8Array;
  readonly #requestId: Uint8Array;
  readonly #reserveId: Uint8Array;
  readonly #allowance: number;
  readonly #verify: SignatureVerifier;
  readonly #hasher: Hasher | undefined;
  #sent = 0;
  #best: Ack | null = null;

  constructor(init: {
    networkId: Uint8Array;
    requester: Uint8Array;
    requestId: Uint8Array;
    reserveId: Uint8Array;
    allowance: number;
    verify: SignatureVerifier;
    hasher?: Hasher;
  }) {
    this.#networkId = init.networkId;
    this.#requester = init.requester;
    this.#requestId = init.requestId;
    this.#reserveId = init.reserveId;
    this.#allowance = init.allowance;
    this.#verify = init.verify;
    this.#hasher = init.hasher;
  }

  get sent(): number {
    return this.#sent;
  }

  /** Completion tokens the requester has acknowledged (0 before any ack). */
  get acknowledged(): number {
    return this.#best?.body.n ?? 0;
  }

  /** The highest valid ack: the evidence if the requester never settles. */
  get bestAck(): Ack | null {
    return this.#best;
  }

  /** How many more tokens may be sent now without a new ack. */
  get budget(): number {
    return Math.max(0, this.acknowledged + this.#allowance - this.#sent);
  }

  /** Record tokens sent; refuses (RangeError) to go past the budget: the caller must wait for an ack. */
  onSent(tokens: number): void {
    if (tokens > this.budget) throw new RangeError('sending beyond the acknowledged allowance');
    this.#sent += tokens;
  }

  /** Accept an ack if it is valid, for this request, higher than the last one and not above what was sent. */
  onAck(ack: Ack): AckRejection | null {
    const b = ack.body;
    if (!verifyAck(ack, this.#networkId, this.#verify, this.#hasher)) return 'bad-signature';
    if (
      !bytesEqual(b.requester, this.#requester) ||
      !bytesEqual(b.requestId, this.#requestId) ||
      !bytesEqual(b.reserveId, this.#reserveId)
    )
      return 'other-request';
    if (b.n <= this.acknowledged) return 'not-increasing';
    if (b.n > this.#sent) return 'beyond-sent';
    this.#best = ack;
    return null;
  }
}

/** The requester's side: an ack is due whenever received tokens cross a multiple of ackEvery (or at the end). */
export function ackDue(
  receivedBefore: number,
  receivedNow: number,
  ackEvery: number,
  finished: boolean,
): boolean {
  if (finished) return receivedNow > receivedBefore || receivedNow === 0;
  return Math.floor(receivedNow / ackEvery) > Math.floor(receivedBefore / ackEvery);
}
