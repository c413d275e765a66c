import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';

/** The data directory cannot be created or written (permissions, a file in the way, a read-only disk). */
export class DataDirUnwritableError extends ExpectedError {
  override readonly name = 'DataDirUnwritableError';
  readonly dataDir: string;
  readonly reason: string;
  constructor(dataDir: string, reason: string) {
    super(`cannot use data directory ${dataDir}: ${reason}`);
    this.dataDir = dataDir;
    this.reason = reason;
  }
}
