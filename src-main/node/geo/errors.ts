import { ExpectedError } from '../../../src-shared/errors/expected-error.ts';

/** The text is not an IPv4 or IPv6 address. */
export class MalformedIpError extends ExpectedError {
  override readonly name = 'MalformedIpError';
  constructor(input: string) {
    super(`"${input.length > 64 ? `${input.slice(0, 64)}…` : input}" is not an IP address`);
  }
}

/** The address is valid but not on the public internet, so no database can place it. */
export class NonPublicIpError extends ExpectedError {
  override readonly name = 'NonPublicIpError';
  constructor(address: string, kind: string) {
    super(`${address} is a ${kind} address, not a public one: it cannot be geolocated`);
  }
}

/** The country database is missing or unreadable (a broken installation). */
export class CountryDatabaseError extends Error {
  override readonly name = 'CountryDatabaseError';
}

/** A lookup in a country database after it was closed (a programming error). */
export class CountryDatabaseClosedError extends Error {
  override readonly name = 'CountryDatabaseClosedError';
  constructor() {
    super('the country database was closed');
  }
}
