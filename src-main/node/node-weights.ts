// Model files peer to peer on the node's libp2p (issue 14): addressed files come from region peers and the
// origin, the served tiers' files are seeded. Started once p2p runs; downloads stop before the blockstore
// closes (the models service stops first, StartedParts stops in reverse).
import { join } from 'node:path';
import type { Locations } from './locations.ts';
import type { ModelsService } from './models/models-service.ts';
import type { NodeOptions } from './node-options.ts';
import type { PeerPenalties } from './p2p/peer-penalties.ts';
import type { OgLibp2p } from './p2p/p2p-service.ts';
import type { NodeSettings } from './settings/node-settings.ts';
import type { StartedParts } from './startable.ts';
import { penaliseCorruptSources } from './weights/corrupt-source-penalty.ts';
import { WeightsService } from './weights/weights-service.ts';

export interface NodeWeightsInit {
  readonly options: NodeOptions;
  readonly locations: Locations;
  readonly libp2p: OgLibp2p;
  readonly models: ModelsService;
  readonly stored: NodeSettings | null;
  readonly started: StartedParts;
  /** Where a provider caught sending corrupted blocks loses gossip score. */
  readonly penalties: PeerPenalties;
  /** The region decided at start (null: not known yet); later changes reach the running service. */
  readonly region: string | null;
  /** Told the running service once started, and null once stopped (the node's settings reach it). */
  readonly onRunning: (weights: WeightsService | null) => void;
}

export async function startNodeWeights(init: NodeWeightsInit): Promise<void> {
  const { options, locations, models, stored } = init;
  const weights = new WeightsService(
    { libp2p: init.libp2p },
    {
      blocksDir: join(locations.dataDir, 'weights', 'blocks'),
      region: init.region,
      // The contributor's cap from settings; a cap given in the options (tests, benches) wins.
      ...(stored?.uploadBytesPerSecond !== undefined
        ? { uploadBytesPerSecond: stored.uploadBytesPerSecond }
        : {}),
      ...options.weights,
    },
  );
  let unpenalise = () => {};
  await init.started.start({
    start: async () => {
      await weights.start();
      unpenalise = penaliseCorruptSources(weights, init.penalties);
      models.setPeers(weights);
      init.onRunning(weights);
    },
    stop: async () => {
      await models.stop();
      models.setPeers(null);
      init.onRunning(null);
      unpenalise();
      await weights.stop();
    },
  });
}
