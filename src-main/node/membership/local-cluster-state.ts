// What this node says about its engine for one served tier (the routing service sets it, membership
// announces the rarely changing part and answers load queries with the rest).
import type { EngineState } from '../../../src-shared/protocol/engine-state.ts';

export interface LocalClusterState {
  readonly engine: EngineState;
  readonly modelsReady: readonly string[];
  readonly capacity: number;
  readonly load: number;
  /** This node's own EXO node id, when known (shard payments map EXO nodes to members by it). */
  readonly engineNode?: string;
}
