/**
 * The base of every error that is about the user's input or situation rather than a bug: an unknown region,
 * a malformed address, an unwritable folder, a low balance. Its message is written for a contributor and
 * is shown as it is (one line in the CLI, a notice in the UI); anything else is an exception to log.
 */
export abstract class ExpectedError extends Error {}

export function isExpectedError(error: unknown): error is ExpectedError {
  return error instanceof ExpectedError;
}
