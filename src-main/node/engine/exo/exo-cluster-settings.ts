// What keeps one cluster's EXO apart from the others on this machine and identical across the owner's
// machines in that cluster (ref/exo-integration.md §3.3): a namespace and ports derived from the cluster,
// and a home directory of its own.
import { join } from 'node:path';
import type { ExoEngineInit } from './exo-engine.ts';

/** Ports below the EXO app's own (52413–52415) are avoided; each cluster slot takes ten. */
export const EXO_CLUSTER_PORT_BASE = 52_500;
export const EXO_PORTS_PER_CLUSTER = 10;

export interface ExoClusterSlot {
  /** e.g. `asia/model-a`. */
  readonly clusterId: string;
  /**
   * A small number that is the same for this cluster on every machine (the tier's position in the network
   * config's tier table): API and discovery ports must match across the members of one EXO cluster.
   */
  readonly slot: number;
  /** The node's engines directory (Locations.enginesDir). */
  readonly enginesDir: string;
  /** The OpenGateway network's id, so two networks on one LAN never merge their EXO clusters. */
  readonly networkId: string;
}

export type ExoClusterSettings = Required<
  Pick<ExoEngineInit, 'exoHome' | 'namespace' | 'apiPort' | 'zenohPort' | 'discoveryPort' | 'libp2pPort'>
>;

export function exoClusterSettings(slot: ExoClusterSlot): ExoClusterSettings {
  const name = slug(slot.clusterId);
  const base = EXO_CLUSTER_PORT_BASE + EXO_PORTS_PER_CLUSTER * slot.slot;
  return {
    exoHome: join(slot.enginesDir, `exo-${name}`),
    namespace: `og-${slug(slot.networkId)}-${name}`,
    apiPort: base,
    zenohPort: base + 1,
    discoveryPort: base + 2,
    libp2pPort: base + 3,
  };
}

function slug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '') || 'default'
  );
}
