import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';

/** A listen address could not be bound: another program (or another node) holds the port. */
export class ListenAddressInUseError extends ExpectedError {
  override readonly name = 'ListenAddressInUseError';
  readonly address: string;
  constructor(address: string) {
    super(`cannot listen on ${address}: the port is already in use (pick another with --listen)`);
    this.address = address;
  }
}

/** A listen or bootstrap address the user gave is not a valid multiaddr. */
export class InvalidMultiaddrError extends ExpectedError {
  override readonly name = 'InvalidMultiaddrError';
  constructor(address: string, what: string) {
    super(`"${address}" is not a valid ${what} multiaddr`);
  }
}
