// The profile service: what this machine can contribute, and which tiers that qualifies it for.
import { TypedEventEmitter } from 'main-event';
import {
  qualify,
  type ResourceProfile,
  type TierQualification,
  type TierSpec,
} from '../../../src-shared/tiers/index.ts';
import type { Locations } from '../locations.ts';
import { buildResourceProfile } from './build-resource-profile.ts';
import type { RawHardware } from './raw-hardware.ts';
import { readRawHardwareOffThread } from './scan-off-thread.ts';

export interface ProfileComponents {
  readonly locations: Locations;
}

export interface ProfileInit {
  /** How raw readings are taken; a worker thread by default. Tests pass recorded fixtures. */
  readonly readRawHardware?: (dataDir: string, options: { signal?: AbortSignal }) => Promise<RawHardware>;
}

export interface ProfileEvents {
  'profile:updated': CustomEvent<ResourceProfile>;
}

export class ProfileService extends TypedEventEmitter<ProfileEvents> {
  readonly #components: ProfileComponents;
  readonly #read: NonNullable<ProfileInit['readRawHardware']>;
  #profile: ResourceProfile | null = null;

  constructor(components: ProfileComponents, init: ProfileInit = {}) {
    super();
    this.#components = components;
    this.#read = init.readRawHardware ?? readRawHardwareOffThread;
  }

  async start(options: { signal?: AbortSignal } = {}): Promise<void> {
    await this.rescan(options);
  }

  stop(): Promise<void> {
    return Promise.resolve();
  }

  /** Reads the machine again (free disk and memory change); emits profile:updated. */
  async rescan(options: { signal?: AbortSignal } = {}): Promise<ResourceProfile> {
    const raw = await this.#read(this.#components.locations.dataDir, options);
    const profile = buildResourceProfile(raw);
    this.#profile = profile;
    this.safeDispatchEvent('profile:updated', { detail: profile });
    return profile;
  }

  get profile(): ResourceProfile {
    if (!this.#profile) throw new Error('profile service used before start()');
    return this.#profile;
  }

  /** Every tier of `tiers` with qualified or not and why. */
  qualify(tiers: readonly TierSpec[]): TierQualification[] {
    return qualify(this.profile, tiers);
  }
}
