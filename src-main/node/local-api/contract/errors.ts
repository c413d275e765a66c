import { ExpectedError } from '../../../../src-shared/errors/expected-error.ts';

/** A chat was sent before the node's routing started. */
export class ChatNotReadyError extends ExpectedError {
  override readonly name = 'ChatNotReadyError';
}

/** More replies at once than one node streams for its own chat panel. */
export class TooManyChatsError extends ExpectedError {
  override readonly name = 'TooManyChatsError';
}

/** A setting this kind of node cannot honour (idle-only mode on a headless node). */
export class SettingNotSupportedError extends ExpectedError {
  override readonly name = 'SettingNotSupportedError';
}

/** The named cluster is not one this node knows. */
export class UnknownClusterError extends ExpectedError {
  override readonly name = 'UnknownClusterError';
}

/** The chat panel reused the id of a request that is still running. */
export class DuplicateChatError extends ExpectedError {
  override readonly name = 'DuplicateChatError';
}

/** The worker's reply ended without saying how many tokens it used (so it cannot be priced). */
export class ReplyWithoutUsageError extends ExpectedError {
  override readonly name = 'ReplyWithoutUsageError';
}
