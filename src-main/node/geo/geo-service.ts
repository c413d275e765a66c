// The geo service: gathers evidence of where this node is (peers' observations, the router, interfaces, the
// cache, the timezone) and decides its region. Re-decides whenever evidence changes; announces changes.
// The country database is 8 MB read whole into memory: it is opened only while an address it has not looked
// up yet needs a country, and closed right after (issue 17 item 4), so an idle node does not carry it.
import { TypedEventEmitter } from 'main-event';
import type { RegionDecision, RegionId } from '../../../src-shared/regions/index.ts';
import type { Locations } from '../locations.ts';
import { CountryDatabase } from './country-database.ts';
import { decideRegion, type RegionEvidence } from './decide-region.ts';
import { readInterfaceAddresses } from './interface-addresses.ts';
import { parsePublicIp, publicIpOrNull, type NormalisedIp } from './ip-address.ts';
import { PeerAddressVote, type PeerVoteRules } from './peer-address-vote.ts';
import { readRegionCache, writeRegionCache } from './region-cache.ts';
import { systemTimezone } from './timezone-region.ts';

export interface GeoComponents {
  readonly locations: Locations;
}

export interface GeoInit {
  /** The user's choice of region; wins over every evidence. */
  readonly override?: RegionId | null;
  /** Geolocate this address instead of discovering one (the CLI's --ip). Must be public. */
  readonly givenIp?: string | null;
  readonly databasePath?: string;
  readonly peerVoteRules?: Partial<PeerVoteRules>;
  /** Injected in tests. */
  readonly timezone?: () => string;
  readonly interfaces?: () => { addresses: string[]; vpnInterface: boolean };
  readonly now?: () => number;
  /** Opens the country database (tests count the openings); CountryDatabase.open by default. */
  readonly openDatabase?: (path: string | undefined) => Promise<CountryDatabase>;
}

export interface GeoEvents {
  /** The region or its source changed (not fired for the first decision made in start()). */
  'region:changed': CustomEvent<RegionDecision>;
}

const CACHED_SOURCES = new Set(['peers', 'upnp', 'interface']);
/** Addresses whose country is remembered; a node sees a handful (its own, as peers, the router, itself see it). */
const COUNTRY_MEMORY = 256;

export class GeoService extends TypedEventEmitter<GeoEvents> {
  readonly #components: GeoComponents;
  readonly #init: GeoInit;
  readonly #votes: PeerAddressVote;
  readonly #givenIp: NormalisedIp | null;
  readonly #now: () => number;
  #override: RegionId | null;
  #upnpIp: string | null = null;
  /** Country (or null: unknown) of every address looked up so far; the database itself is not kept. */
  readonly #countries = new Map<string, string | null>();
  #databaseBuiltAt: Date | null = null;
  /** Decisions run one at a time, so a slower one (opening the database) never lands after a newer one. */
  #decisions: Promise<unknown> = Promise.resolve();
  #cache: RegionDecision | null = null;
  #decision: RegionDecision | null = null;

  constructor(components: GeoComponents, init: GeoInit = {}) {
    super();
    this.#components = components;
    this.#init = init;
    this.#votes = new PeerAddressVote(init.peerVoteRules);
    // A typed address that is malformed or private is the user's mistake: say so before anything starts.
    this.#givenIp = init.givenIp ? parsePublicIp(init.givenIp) : null;
    this.#override = init.override ?? null;
    this.#now = init.now ?? Date.now;
  }

  async start(): Promise<void> {
    // Opened once here even when nothing needs a lookup: a missing or broken database fails the start.
    const database = await this.#openDatabase();
    try {
      this.#databaseBuiltAt = database.builtAt;
      this.#cache = await readRegionCache(this.#components.locations.geoCache);
      this.#decision = await this.#decide(database);
    } finally {
      database.close();
    }
    await this.#remember(this.#decision);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  get decision(): RegionDecision {
    if (!this.#decision) throw new Error('geo service used before start()');
    return this.#decision;
  }

  /** When the bundled country database was built (shown in About). */
  get databaseBuiltAt(): Date | null {
    return this.#databaseBuiltAt;
  }

  /** A peer told us (identify's observedAddr) which address it sees us at. */
  async recordObservedAddress(
    peerId: string,
    observedIp: string,
    reporterIp?: string,
    options: { readonly relayed?: boolean } = {},
  ): Promise<void> {
    if (this.#votes.record(peerId, observedIp, this.#now(), reporterIp, options)) await this.redecide();
  }

  /** A peer went away for good; its observation no longer counts. */
  async forgetPeer(peerId: string): Promise<void> {
    this.#votes.forget(peerId);
    await this.redecide();
  }

  /** The router's external address from UPnP (null when UPnP is unavailable or reports a private address). */
  async setUpnpAddress(ip: string | null): Promise<void> {
    this.#upnpIp = ip && publicIpOrNull(ip) ? ip : null;
    await this.redecide();
  }

  async setOverride(region: RegionId | null): Promise<void> {
    this.#override = region;
    await this.redecide();
  }

  /** Decide again (network change, periodic refresh); fires region:changed when region or source changed. */
  redecide(): Promise<RegionDecision> {
    const run = this.#decisions.then(() => this.#redecideNow());
    this.#decisions = run.catch(() => undefined);
    return run;
  }

  async #redecideNow(): Promise<RegionDecision> {
    const next = await this.#decide(null);
    const previous = this.#decision;
    this.#decision = next;
    await this.#remember(next);
    if (
      previous &&
      (previous.region !== next.region || previous.source !== next.source || previous.ip !== next.ip)
    ) {
      this.safeDispatchEvent('region:changed', { detail: next });
    }
    return next;
  }

  /** Decides from the evidence now; opens the database (unless given) only for addresses not looked up yet. */
  async #decide(opened: CountryDatabase | null): Promise<RegionDecision> {
    if (this.#databaseBuiltAt === null) throw new Error('geo service used before start()');
    const interfaces = (this.#init.interfaces ?? readInterfaceAddresses)();
    const now = this.#now();
    const evidence: RegionEvidence = {
      override: this.#override,
      givenIp: this.#givenIp,
      peers: this.#votes.decide(now),
      upnpIp: this.#upnpIp,
      interfaceIps: interfaces.addresses,
      cache: this.#cache,
      timezone: (this.#init.timezone ?? systemTimezone)(),
      vpnInterface: interfaces.vpnInterface,
      now,
    };
    const missing: NormalisedIp[] = [];
    const known = decideRegion(evidence, (ip) => {
      if (this.#countries.has(ip.address)) return this.#countries.get(ip.address) ?? null;
      missing.push(ip);
      return null;
    });
    if (missing.length === 0) return known;
    const database = opened ?? (await this.#openDatabase());
    try {
      for (const ip of missing) {
        if (this.#countries.size >= COUNTRY_MEMORY) this.#countries.clear();
        this.#countries.set(ip.address, database.lookupCountry(ip));
      }
    } finally {
      if (opened === null) database.close();
    }
    return decideRegion(evidence, (ip) => this.#countries.get(ip.address) ?? null);
  }

  #openDatabase(): Promise<CountryDatabase> {
    const path = this.#init.databasePath;
    return this.#init.openDatabase ? this.#init.openDatabase(path) : CountryDatabase.open(path);
  }

  async #remember(decision: RegionDecision): Promise<void> {
    if (!CACHED_SOURCES.has(decision.source)) return;
    const cached = this.#cache;
    // Peers report often; write only when the answer itself changed.
    if (
      cached &&
      cached.region === decision.region &&
      cached.ip === decision.ip &&
      cached.source === decision.source
    ) {
      return;
    }
    this.#cache = decision;
    await writeRegionCache(this.#components.locations.geoCache, decision);
  }
}
