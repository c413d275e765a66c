// What a requester keeps of the quotes workers offered for its next request (issue 17: paying without waiting).
// With a ledger that can reserve ahead, an offer is reserved at once, in the background, so the next request to
// that worker sends a RESERVE that is durable already and waits for no fsync; an offer held that long unused is
// settled at zero. Without one (a ledger that only reserves on demand) the offer is kept as bytes and reserved
// when the request goes out. Either way the request then needs no quote round trip.
import type { ChatRequest } from '../../../src-shared/protocol/chat.ts';
import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';
import type { ClusterDirectory } from './cluster-directory.ts';
import { OfferedQuotes } from './offered-quotes.ts';
import type { HeldReservation, RequestPayment, RequesterPayments } from './payments.ts';

/** Reservations held ahead per worker and tier (each locks a request's maximum cost until used or expired). */
const MAX_HELD_PER_KEY = 4;
/** Workers and tiers with reservations held, at most. */
const MAX_HELD_KEYS = 64;

interface Held {
  readonly pending: Promise<HeldReservation | null>;
  /** Set once the RESERVE is committed (null: the ledger would not hold this offer). */
  ready: HeldReservation | null | undefined;
  readonly timer: ReturnType<typeof setTimeout>;
}

export interface NextRequestOffersComponents {
  readonly payments?: RequesterPayments;
  readonly directory: ClusterDirectory;
}

export class NextRequestOffers {
  readonly #components: NextRequestOffersComponents;
  readonly #maxAgeMs: number;
  readonly #reserveAhead: boolean;
  readonly #offered: OfferedQuotes;
  readonly #held = new Map<string, Held[]>();

  /**
   * `maxAgeMs`: how long an offer is used at all (inside the worker's own quote lifetime); `reserveAhead`:
   * reserve offers as they arrive when the ledger can (InferRequesterInit.reserveAhead).
   */
  constructor(
    components: NextRequestOffersComponents,
    options: { readonly maxAgeMs: number; readonly reserveAhead: boolean },
  ) {
    this.#components = components;
    this.#maxAgeMs = options.maxAgeMs;
    this.#reserveAhead = options.reserveAhead;
    this.#offered = new OfferedQuotes(options.maxAgeMs);
  }

  /** `peerId` offered `quote` for this node's next request on `tier` like `like` (the one it just served). */
  keep(peerId: string, tier: string, like: ChatRequest, quote: Uint8Array): void {
    const payments = this.#components.payments;
    if (!payments) return;
    if (!this.#reserveAhead || !payments.reserveAhead || this.#maxAgeMs <= 0) {
      this.#offered.add(peerId, tier, quote);
      return;
    }
    const key = keyOf(peerId, tier);
    const list = this.#held.get(key) ?? [];
    if (list.length >= MAX_HELD_PER_KEY || (!this.#held.has(key) && this.#held.size >= MAX_HELD_KEYS)) return;
    const pending = payments.reserveAhead(this.#worker(peerId, tier), tier, like, quote).catch(() => null);
    const held: Held = {
      pending,
      ready: undefined,
      // Unused until the offer is no longer worth trying: settled at zero.
      timer: setTimeout(() => this.#expire(key, held), this.#maxAgeMs),
    };
    held.timer.unref();
    void pending.then((ready) => {
      held.ready = ready;
      if (ready === null) this.#remove(key, held);
    });
    list.push(held);
    this.#held.set(key, list);
  }

  /**
   * The payment for `request` to `peerId` from an offer, its RESERVE committed; null without a usable one.
   * Throws the ledger's ExpectedError (too low a balance) when reserving an offer now finds it.
   */
  async take(peerId: string, tier: string, request: ChatRequest): Promise<RequestPayment | null> {
    const key = keyOf(peerId, tier);
    for (let held = this.#pop(key); held; held = this.#pop(key)) {
      clearTimeout(held.timer);
      const reservation = held.ready === undefined ? await held.pending : held.ready;
      if (!reservation) continue;
      const payment = reservation.use(request);
      if (payment) return payment;
      // Made for a request of other maxima (a longer prompt, another reply length): freed at zero.
      reservation.release();
    }
    return this.#reserveOffered(peerId, tier, request);
  }

  /** Reservations held ahead now (committed or being committed). */
  get held(): number {
    let n = 0;
    for (const list of this.#held.values()) n += list.length;
    return n;
  }

  /** A worker refused or failed: its offers are likely void (held reservations are settled at zero). */
  forget(peerId: string): void {
    this.#offered.forget(peerId);
    for (const key of [...this.#held.keys()])
      if (key.startsWith(`${peerId}\u0000`))
        for (const held of [...this.#held.get(key)!]) this.#expire(key, held);
  }

  /** The node stops or pauses: every held reservation is settled at zero now (later offers are held again). */
  close(): void {
    for (const [key, list] of [...this.#held]) for (const held of [...list]) this.#expire(key, held);
  }

  #worker(peerId: string, tier: string) {
    return { peerId, cluster: this.#components.directory.members(tier).map((member) => member.peerId) };
  }

  /** The newest held reservation (older ones expire first). */
  #pop(key: string): Held | undefined {
    const list = this.#held.get(key);
    const held = list?.pop();
    if (list && list.length === 0) this.#held.delete(key);
    return held;
  }

  #remove(key: string, held: Held): void {
    const list = this.#held.get(key);
    const at = list?.indexOf(held) ?? -1;
    if (at < 0) return;
    list!.splice(at, 1);
    if (list!.length === 0) this.#held.delete(key);
  }

  #expire(key: string, held: Held): void {
    clearTimeout(held.timer);
    this.#remove(key, held);
    // At once when committed (a stopping node settles before its ledger stops), else once it is.
    if (held.ready !== undefined) held.ready?.release();
    else void held.pending.then((reservation) => reservation?.release());
  }

  /** An offer kept as bytes, reserved now. */
  async #reserveOffered(peerId: string, tier: string, request: ChatRequest): Promise<RequestPayment | null> {
    const payments = this.#components.payments;
    const offer = payments ? this.#offered.take(peerId, tier) : null;
    if (!payments || !offer) return null;
    try {
      const worker = this.#worker(peerId, tier);
      return payments.reserveQueued
        ? await payments.reserveQueued(worker, tier, request, offer)
        : payments.reserve(worker, tier, request, offer);
    } catch (error) {
      // Too low a balance is this node's own problem (said to the user); anything else only voids the offer
      // (expired, another reply length): the request asks for a quote as without one.
      if (error instanceof ExpectedError) throw error;
      return null;
    }
  }
}

function keyOf(peerId: string, tier: string): string {
  return `${peerId}\u0000${tier}`;
}
