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

/** An offered quote is not reserved ahead: it would leave less than the next request may need (held-ahead.ts). */
export class NoRoomToHoldError extends Error {
  override readonly name = 'NoRoomToHoldError';
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

/** A peer answered a ledger sync request with bytes that are no valid response, or the exchange failed. */
export class SyncProtocolError extends Error {
  override readonly name = 'SyncProtocolError';
}

/** Ledger sync was asked of a node whose ledger is not on the network (yet, or any more). */
export class LedgerOfflineError extends Error {
  override readonly name = 'LedgerOfflineError';
}

/** The ledger is stopping: the reason its pending network work is aborted with. */
export class LedgerStoppingError extends Error {
  override readonly name = 'LedgerStoppingError';
}

/** The ledger database holds something this version cannot read back (damage, or a foreign writer). */
export class LedgerCorruptError extends Error {
  override readonly name = 'LedgerCorruptError';
}
