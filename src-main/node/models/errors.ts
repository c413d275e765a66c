// One class per way a model download can fail; each message is written for a contributor and names the
// model, because the dashboard and the CLI show it as it is.
import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';
import { hostOf } from './url-host.ts';

/** Why a tier's model is not ready, as the UI contract carries it. */
export type ModelFailureReason = 'no-space' | 'hash-mismatch' | 'unreachable' | 'bad-response' | 'io';

export abstract class ModelDownloadError extends ExpectedError {
  abstract readonly reason: ModelFailureReason;
}

/** Not enough free disk for the download: refused before a byte is fetched. */
export class ModelDiskSpaceError extends ModelDownloadError {
  override readonly name = 'ModelDiskSpaceError';
  readonly reason = 'no-space' as const;
  readonly modelId: string;
  readonly neededBytes: number;
  readonly freeBytes: number;
  constructor(modelId: string, neededBytes: number, freeBytes: number) {
    super(
      `not enough disk space for ${modelId}: needs ${gb(neededBytes)} free, has ${gb(freeBytes)} ` +
        `(free some space or move the data folder)`,
    );
    this.modelId = modelId;
    this.neededBytes = neededBytes;
    this.freeBytes = freeBytes;
  }
}

/** The downloaded bytes are not the file the catalog names: deleted, never used. */
export class ModelHashMismatchError extends ModelDownloadError {
  override readonly name = 'ModelHashMismatchError';
  readonly reason = 'hash-mismatch' as const;
  readonly fileName: string;
  readonly expected: string;
  readonly actual: string;
  constructor(fileName: string, expected: string, actual: string) {
    super(
      `${fileName} failed verification (SHA-256 ${actual.slice(0, 12)}…, expected ${expected.slice(0, 12)}…): ` +
        `the download was corrupted or the server sent another file; it was deleted`,
    );
    this.fileName = fileName;
    this.expected = expected;
    this.actual = actual;
  }
}

/** No URL of the file answered with its bytes (after retries). */
export class ModelUnreachableError extends ModelDownloadError {
  override readonly name = 'ModelUnreachableError';
  readonly reason = 'unreachable' as const;
  readonly fileName: string;
  readonly lastProblem: string;
  constructor(fileName: string, lastProblem: string) {
    super(`could not download ${fileName}: ${lastProblem}`);
    this.fileName = fileName;
    this.lastProblem = lastProblem;
  }
}

/** A server answered with something that cannot be this file (wrong size, bad range): not retried there. */
export class ModelBadResponseError extends ModelDownloadError {
  override readonly name = 'ModelBadResponseError';
  readonly reason = 'bad-response' as const;
  readonly url: string;
  constructor(url: string, problem: string) {
    super(`${hostOf(url)} sent a bad response: ${problem}`);
    this.url = url;
  }
}

/** The tier has no model for the built-in engine in the network's catalog. */
export class ModelNotInCatalogError extends ExpectedError {
  override readonly name = 'ModelNotInCatalogError';
  readonly tier: string;
  constructor(tier: string) {
    super(`the network's catalog has no built-in model for ${tier}`);
    this.tier = tier;
  }
}

/** A transfer stopped for a reason worth another try (cut connection, stall, 5xx). Internal to a download. */
export class TransferInterruptedError extends Error {
  override readonly name = 'TransferInterruptedError';
}

function gb(bytes: number): string {
  return `${(bytes / 1e9).toFixed(bytes >= 10e9 ? 0 : 1)} GB`;
}
