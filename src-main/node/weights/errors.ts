// One class per way fetching or seeding a model file by its CID can fail. Expected errors carry a message a
// contributor understands (the dashboard and `models pull` show it as it is).
import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';
import { hostOf } from '../models/url-host.ts';

/** A block of the file's DAG does not describe the file the catalog names (sizes, depth, codecs). */
export class WeightsDagInvalidError extends ExpectedError {
  override readonly name = 'WeightsDagInvalidError';
  readonly fileName: string;
  constructor(fileName: string, problem: string) {
    super(`${fileName}: the content address does not describe this file (${problem})`);
    this.fileName = fileName;
  }
}

/** No peer has the file and no origin URL could fill in. */
export class WeightsNoSourceError extends ExpectedError {
  override readonly name = 'WeightsNoSourceError';
  readonly fileName: string;
  constructor(fileName: string, problem: string) {
    super(`${fileName}: no peer and no server could send it (${problem})`);
    this.fileName = fileName;
  }
}

/** The origin server sent bytes whose hash is not the block the DAG names. */
export class WeightsOriginMismatchError extends ExpectedError {
  override readonly name = 'WeightsOriginMismatchError';
  readonly url: string;
  constructor(url: string, offset: number) {
    super(`${hostOf(url)} sent bytes at offset ${offset} that are not the catalog's file`);
    this.url = url;
  }
}

/** A local file to seed is not the catalog's file (its DAG's root is another CID). */
export class WeightsRootMismatchError extends ExpectedError {
  override readonly name = 'WeightsRootMismatchError';
  readonly expected: string;
  readonly actual: string;
  constructor(fileName: string, expected: string, actual: string) {
    super(`${fileName} has content address ${actual}, the catalog says ${expected}`);
    this.expected = expected;
    this.actual = actual;
  }
}

/** A provider peer did not deliver a block (did not have it, reset the stream, sent one that failed its hash). */
export class WeightsPeerRequestError extends ExpectedError {
  override readonly name = 'WeightsPeerRequestError';
  readonly peerId: string;
  constructor(peerId: string, problem: string, options?: ErrorOptions) {
    super(`peer ${peerId.slice(-8)}: ${problem}`, options);
    this.peerId = peerId;
  }
}
