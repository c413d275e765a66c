import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';

/** The network config file cannot be read or is not JSON. */
export class NetworkConfigUnreadableError extends ExpectedError {
  override readonly name: string = 'NetworkConfigUnreadableError';
  readonly path: string;
  readonly reason: string;
  constructor(path: string, reason: string) {
    super(`cannot read network config ${path}: ${reason}`);
    this.path = path;
    this.reason = reason;
  }
}

/** The network config file does not exist (a node without --network-config and no stored copy). */
export class NetworkConfigFileNotFoundError extends NetworkConfigUnreadableError {
  override readonly name = 'NetworkConfigFileNotFoundError';
  constructor(path: string) {
    super(path, 'no such file');
  }
}

/** `network init` would overwrite an existing network's keys or config. */
export class NetworkInitTargetExistsError extends ExpectedError {
  override readonly name = 'NetworkInitTargetExistsError';
  constructor(path: string) {
    super(`${path} already exists; choose another --out directory (founding keys are never overwritten)`);
  }
}

/** A config offered as an update does not replace the current one (older, another network, or not signed). */
export class NetworkConfigUpdateRefusedError extends ExpectedError {
  override readonly name = 'NetworkConfigUpdateRefusedError';
  readonly reason: string;
  constructor(reason: string) {
    super(`network config update refused: ${reason}`);
    this.reason = reason;
  }
}
