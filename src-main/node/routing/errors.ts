import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';

/** No live member of the cluster: nobody in the region serves this tier right now. */
export class NoLiveMemberError extends ExpectedError {
  override readonly name = 'NoLiveMemberError';
}

/** The tier or model the request names is not one this network serves. */
export class UnknownModelError extends ExpectedError {
  override readonly name = 'UnknownModelError';
}

/** Every member is busy and the waiting line is full. */
export class QueueFullError extends ExpectedError {
  override readonly name = 'QueueFullError';
}

/** The request waited in line for a free worker longer than allowed. */
export class QueueTimeoutError extends ExpectedError {
  override readonly name = 'QueueTimeoutError';
}

/** Every member we tried failed before sending a token. */
export class NoWorkerAnsweredError extends ExpectedError {
  override readonly name = 'NoWorkerAnsweredError';
}

/**
 * The worker failed after the first tokens: the caller keeps what arrived (it was already yielded) and shows
 * this error after it. Retrying elsewhere would repeat and bill the same text.
 */
export class PartialResponseError extends ExpectedError {
  override readonly name = 'PartialResponseError';
}

/** A peer broke the infer protocol (bad frame, wrong order, silence past a deadline). */
export class InferProtocolError extends Error {
  override readonly name: string = 'InferProtocolError';
}

/**
 * Membership declared the serving member down (missed heartbeats, disconnected) and its stream has been
 * silent since: a frozen or cut-off worker, given up on before the idle timeout.
 */
export class MemberLostError extends InferProtocolError {
  override readonly name: string = 'MemberLostError';
}

/** The other side's stream ended (closed or reset) while a frame was awaited. */
export class InferStreamEndedError extends InferProtocolError {
  override readonly name: string = 'InferStreamEndedError';
}

/** The requester cancelled its request: the worker stops generating. */
export class RequesterCancelledError extends InferProtocolError {
  override readonly name: string = 'RequesterCancelledError';
}

/** The requester's stream ended before the reply did. */
export class RequesterGoneError extends InferProtocolError {
  override readonly name: string = 'RequesterGoneError';
}

/** The requester did not acknowledge tokens, or did not settle, in time. */
export class RequesterTimeoutError extends InferProtocolError {
  override readonly name: string = 'RequesterTimeoutError';
}

/** A payment step the requester sent (an ack, the SETTLE) was refused. */
export class PaymentStepRefusedError extends InferProtocolError {
  override readonly name: string = 'PaymentStepRefusedError';
}

/** A worker's reply went past the most text or deltas one reply may carry: it is cut off there. */
export class ReplyTooLargeError extends InferProtocolError {
  override readonly name: string = 'ReplyTooLargeError';
}

/** A peer sent more unfinished frame bytes than this node holds for it (or for everyone): its stream is cut. */
export class InboundBudgetError extends Error {
  override readonly name = 'InboundBudgetError';
}

/** A paid request's payment was refused before anything ran (payer, quote or RESERVE): the requester is told why. */
export class PaymentRefusedError extends Error {
  override readonly name = 'PaymentRefusedError';
}
