// The onboarding steps a node can run on its own, without the network: identity → profile → geo → qualify.
// `opengateway-node profile` prints this; the running node repeats the same steps with peers' evidence.
import type { RegionDecision, RegionId } from '../../../src-shared/regions/index.ts';
import {
  DEFAULT_TIERS,
  machineSizes,
  qualify,
  type MachineSizes,
  type ResourceProfile,
  type TierQualification,
  type TierSpec,
} from '../../../src-shared/tiers/index.ts';
import { GeoService, type GeoInit } from '../geo/geo-service.ts';
import { IdentityService, type IdentityInit } from '../identity/identity-service.ts';
import { locationsFor } from '../locations.ts';
import { ProfileService, type ProfileInit } from '../profile/profile-service.ts';
import { ensureDataDir } from '../storage/data-dir.ts';

export interface OnboardingReport {
  readonly peerId: string;
  readonly dataDir: string;
  readonly resources: ResourceProfile;
  readonly sizes: MachineSizes;
  readonly region: RegionDecision;
  readonly tiers: readonly TierQualification[];
}

export interface OnboardingOptions {
  readonly dataDir: string;
  readonly givenIp?: string | null;
  readonly regionOverride?: RegionId | null;
  readonly tiers?: readonly TierSpec[];
  readonly signal?: AbortSignal;
  /** Injected in tests. */
  readonly identity?: IdentityInit;
  readonly profile?: ProfileInit;
  readonly geo?: Omit<GeoInit, 'givenIp' | 'override'>;
}

export async function buildOnboardingReport(options: OnboardingOptions): Promise<OnboardingReport> {
  const locations = locationsFor(options.dataDir);
  // The geo service validates a typed address first: a mistake is reported before anything is written.
  const geo = new GeoService(
    { locations },
    { ...options.geo, givenIp: options.givenIp ?? null, override: options.regionOverride ?? null },
  );
  await ensureDataDir(locations.dataDir);
  const identity = new IdentityService({ locations }, options.identity);
  const profile = new ProfileService({ locations }, options.profile);
  await identity.start();
  await Promise.all([profile.start({ signal: options.signal }), geo.start()]);
  try {
    const resources = profile.profile;
    return {
      peerId: identity.peerId.toString(),
      dataDir: locations.dataDir,
      resources,
      sizes: machineSizes(resources),
      region: geo.decision,
      tiers: qualify(resources, options.tiers ?? DEFAULT_TIERS),
    };
  } finally {
    await Promise.all([geo.stop(), profile.stop(), identity.stop()]);
  }
}
