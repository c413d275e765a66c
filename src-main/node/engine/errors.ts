// One class per engine error condition. Expected errors carry a message written for a contributor.
import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';
import type { EngineStatus } from './engine.ts';

/** A chat was asked of an engine that is not ready. */
export class EngineNotReadyError extends ExpectedError {
  override readonly name = 'EngineNotReadyError';
  readonly status: EngineStatus;
  constructor(engine: string, status: EngineStatus) {
    super(`the ${engine} engine is not ready (it is ${status})`);
    this.status = status;
  }
}

/** The engine could not be reached, or closed the connection before the answer was complete. */
export class EngineUnavailableError extends ExpectedError {
  override readonly name = 'EngineUnavailableError';
}

/** The engine answered the request with an error of its own (its message is kept). */
export class EngineRequestError extends ExpectedError {
  override readonly name = 'EngineRequestError';
  readonly httpStatus: number | null;
  constructor(message: string, httpStatus: number | null = null) {
    super(message);
    this.httpStatus = httpStatus;
  }
}

/** The engine sent bytes that are not the protocol it speaks (malformed SSE or JSON, an oversized line). */
export class EngineProtocolError extends ExpectedError {
  override readonly name = 'EngineProtocolError';
}

/** A request timed out waiting for the engine. */
export class EngineTimeoutError extends ExpectedError {
  override readonly name = 'EngineTimeoutError';
}

/**
 * The engine cannot come up as configured and restarting it would not help: a placement EXO refuses, a
 * runner that failed to load, a model the server does not have, an unsupported EXO version.
 */
export class EngineStartError extends ExpectedError {
  override readonly name = 'EngineStartError';
}
