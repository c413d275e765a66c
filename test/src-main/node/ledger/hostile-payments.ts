// Payments that misbehave in one chosen way, for the attack tests: each wraps the real ledger payments of a
// node and replaces only the step under test, so the rest of the request runs the real code.
import type { LedgerWorkerPayments } from '../../../../src-main/node/ledger/worker-payments.ts';
import type {
  RequesterPayments,
  RequestPayment,
  WorkPayment,
  WorkerPayments,
} from '../../../../src-main/node/routing/payments.ts';

/** A worker's payments whose sessions are bent by `bend` (the rest is the real code). */
export function hostileWorker(bend: (session: WorkPayment) => WorkPayment) {
  return (real: LedgerWorkerPayments): WorkerPayments => ({
    checkPayer: (requester, signal) => real.checkPayer(requester, signal),
    knowsAccount: (account) => real.knowsAccount(account),
    quote: (requester, tier, request, shareholders) => {
      const quoted = real.quote(requester, tier, request, shareholders);
      return quoted.ok ? { ok: true, payment: bend(quoted.payment) } : quoted;
    },
  });
}

/** A session whose methods and getters go to `session` unless `overrides` replaces them. */
export function bentSession(session: WorkPayment, overrides: Partial<WorkPayment>): WorkPayment {
  return {
    get quote() {
      return session.quote;
    },
    get maxCompletionTokens() {
      return session.maxCompletionTokens;
    },
    acceptReserve: (block, signal) => session.acceptReserve(block, signal),
    get budget() {
      return session.budget;
    },
    sent: (delta) => session.sent(delta),
    acknowledge: (ack) => session.acknowledge(ack),
    receipt: (prompt) => session.receipt(prompt),
    settle: (receipt, block) => session.settle(receipt, block),
    unsettled: () => session.unsettled(),
    ...overrides,
  };
}

/** A requester's payments whose payment for each request takes `bend(payment)` over the real one's steps. */
export function hostileRequester(
  real: RequesterPayments,
  bend: (payment: RequestPayment) => Partial<RequestPayment>,
): RequesterPayments {
  return {
    pays: (peer) => real.pays(peer),
    reputation: (peer) => real.reputation(peer),
    prepare: (tier, request) => real.prepare(tier, request),
    reserve: (worker, tier, request, quote) => {
      const payment = real.reserve(worker, tier, request, quote);
      return {
        reserve: payment.reserve,
        received: (deltas) => payment.received(deltas),
        finalAck: () => payment.finalAck(),
        settle: (receipt) => payment.settle(receipt),
        settleAlone: (how) => payment.settleAlone(how),
        ...bend(payment),
      };
    },
  };
}

/** A requester that takes the reply and acknowledges it, then never settles (its settle throws `why`). */
export function neverSettling(
  real: RequesterPayments,
  why = 'this requester does not pay',
): RequesterPayments {
  return hostileRequester(real, () => ({
    settle: () => {
      throw new Error(why);
    },
    settleAlone: () => undefined,
  }));
}
