// Named error conditions of the ledger service.
import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';

/** The ledger file belongs to another network: never mix two networks' chains in one file. */
export class LedgerNetworkMismatchError extends ExpectedError {
  override readonly name = 'LedgerNetworkMismatchError';
}

/** The ledger file was written by a newer version of OpenGateway. */
export class LedgerSchemaTooNewError extends ExpectedError {
  override readonly name = 'LedgerSchemaTooNewError';
}

/** A request cannot start: the account has less than the minimum available. */
export class InsufficientBalanceError extends ExpectedError {
  override readonly name = 'InsufficientBalanceError';
}

/** The node refused to sign one of its own blocks because the ledger rules reject it. */
export class OwnBlockRejectedError extends Error {
  override readonly name = 'OwnBlockRejectedError';
}

/** The service was used before start() or after stop(). */
export class LedgerNotStartedError extends Error {
  override readonly name = 'LedgerNotStartedError';
}

/** The other side of a paid request broke the payment protocol (bad quote or receipt): try another worker. */
export class PaymentError extends Error {
  override readonly name: string = 'PaymentError';
}

/** The worker's receipt does not match what arrived (count, digest, request, signature): settle alone. */
export class ReceiptMismatchError extends PaymentError {
  override readonly name = 'ReceiptMismatchError';
}

/** The worker sent more than the reservation covers: the excess is refused and the worker stopped. */
export class ReservationExceededError extends PaymentError {
  override readonly name = 'ReservationExceededError';
}

/** The routing asked for a receipt or sent tokens before the RESERVE was accepted (a bug, not a peer's doing). */
export class NothingToReceiptError extends Error {
  override readonly name = 'NothingToReceiptError';
}
