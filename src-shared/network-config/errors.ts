import { ExpectedError } from '../errors/expected-error.ts';

/** The network config does not follow the schema; `path` names the offending field ("tiers[2].id"). */
export class NetworkConfigInvalidError extends ExpectedError {
  override readonly name = 'NetworkConfigInvalidError';
  readonly path: string;
  constructor(path: string, problem: string) {
    super(`invalid network config: ${path === '' ? '' : `${path}: `}${problem}`);
    this.path = path;
  }
}

/** Fewer than the threshold of founding keys signed this exact config: it may be forged or altered. */
export class NetworkConfigSignatureError extends ExpectedError {
  override readonly name = 'NetworkConfigSignatureError';
  readonly validSignatures: number;
  readonly threshold: number;
  constructor(validSignatures: number, threshold: number, networkId: string) {
    super(
      `network config "${networkId}" is not properly signed: ${validSignatures} valid founder signature` +
        `${validSignatures === 1 ? '' : 's'}, ${threshold} required (the file was altered or forged)`,
    );
    this.validSignatures = validSignatures;
    this.threshold = threshold;
  }
}
