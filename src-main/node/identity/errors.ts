import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';

/**
 * The key file exists but is not a valid Ed25519 key. It is never overwritten: it may be the only copy of an
 * account that holds tokens, so a person has to decide (restore a backup, or move it away to start afresh).
 */
export class IdentityKeyCorruptError extends ExpectedError {
  override readonly name = 'IdentityKeyCorruptError';
  readonly path: string;
  constructor(path: string, detail: string) {
    super(
      `the node key at ${path} is unreadable (${detail}); it was left untouched. ` +
        'Restore it from a backup, or move it away to create a new identity (its balance and history stay with the old key).',
    );
    this.path = path;
  }
}
