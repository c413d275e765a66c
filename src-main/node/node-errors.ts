import { ExpectedError } from '../../src-shared/errors/expected-error.ts';

/** A call that needs a started node came before start() got that far. */
export class NodeNotStartedError extends ExpectedError {
  override readonly name = 'NodeNotStartedError';
}

/** Another node process already serves this data directory. */
export class NodeAlreadyRunningError extends ExpectedError {
  override readonly name = 'NodeAlreadyRunningError';
  constructor(dataDir: string) {
    super(`a node is already running for data directory ${dataDir}; stop it first or use --data-dir`);
  }
}
