// What a contributor may get wrong when choosing engines in Settings: each its own class, with a message they
// can act on (shown as it is in the UI and the CLI).
import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';

/** The tier is not one of the network's. */
export class UnknownTierError extends ExpectedError {
  override readonly name = 'UnknownTierError';
}

/** The tier's engine was set with --tier-engine: the command line wins while the node runs with it. */
export class EngineChoiceLockedError extends ExpectedError {
  override readonly name = 'EngineChoiceLockedError';
}

/** "Your OpenAI-compatible server" was chosen before its address was given. */
export class EngineServerMissingError extends ExpectedError {
  override readonly name = 'EngineServerMissingError';
}

/** The server address is not an http(s) URL (or carries a user name or password). */
export class InvalidEngineServerError extends ExpectedError {
  override readonly name = 'InvalidEngineServerError';
}

/** EXO was chosen on a computer where it is not installed. */
export class ExoNotInstalledError extends ExpectedError {
  override readonly name = 'ExoNotInstalledError';
}
