// Pure rules over EXO's state: which placement preview to take, how far an instance has loaded, and which
// EXO nodes serve it in what share (for paying every machine of the owner's cluster later).
import type { ChatServingShare } from '../../../../src-shared/protocol/chat.ts';
import type { EngineLoadingPhase } from '../engine.ts';
import type { ExoInstanceView, ExoPlacementPreview, ExoRunnerView, ExoStateView } from './exo-state.ts';

export type ExoSharding = 'Pipeline' | 'Tensor';
export type ExoInstanceMeta = 'MlxRing' | 'MlxJaccl';

export interface ExoPlacementPreference {
  /** Default Pipeline (works on every cluster shape). */
  readonly sharding?: ExoSharding;
  /** Default MlxRing (JACCL needs RDMA over Thunderbolt 5). */
  readonly instanceMeta?: ExoInstanceMeta;
}

/**
 * The preview to place: valid ones only, those that include this node first, then the preferred sharding and
 * backend, then the fewest machines (no network hop is fastest). Null when EXO offers no valid placement.
 */
export function choosePreview(
  previews: readonly ExoPlacementPreview[],
  localNodeId: string,
  preference: ExoPlacementPreference = {},
): ExoPlacementPreview | null {
  const sharding = preference.sharding ?? 'Pipeline';
  const meta = preference.instanceMeta ?? 'MlxRing';
  const score = (preview: ExoPlacementPreview) => {
    const view = preview.instance!.view;
    return [
      localNodeId in view.nodeToRunner ? 0 : 1,
      preview.sharding === sharding ? 0 : 1,
      preview.instanceMeta === meta ? 0 : 1,
      Object.keys(view.nodeToRunner).length,
    ];
  };
  const valid = previews.filter((preview) => preview.error === null && preview.instance !== null);
  valid.sort((a, b) => {
    const [sa, sb] = [score(a), score(b)];
    for (let i = 0; i < sa.length; i += 1) if (sa[i] !== sb[i]) return sa[i]! - sb[i]!;
    return 0;
  });
  return valid[0] ?? null;
}

/** Why EXO could not place the model: the first error it gave, or that it gave no placement at all. */
export function placementRefusal(previews: readonly ExoPlacementPreview[]): string {
  const errors = [...new Set(previews.flatMap((preview) => (preview.error ? [preview.error] : [])))];
  return errors.length > 0 ? errors.slice(0, 3).join('; ') : 'EXO offered no placement';
}

/** An existing instance of the model, preferring one this node takes part in. */
export function findModelInstance(
  state: ExoStateView,
  modelId: string,
  localNodeId: string,
): ExoInstanceView | null {
  const candidates = [...state.instances.values()].filter((instance) => instance.modelId === modelId);
  return candidates.find((instance) => localNodeId in instance.nodeToRunner) ?? candidates[0] ?? null;
}

export type InstanceReadiness =
  | { readonly status: 'gone' }
  | { readonly status: 'failed'; readonly message: string }
  | { readonly status: 'loading'; readonly phase: EngineLoadingPhase; readonly progress: number }
  | { readonly status: 'ready' };

const PHASE_ORDER: readonly EngineLoadingPhase[] = ['placing', 'downloading', 'loading', 'warming-up'];

/**
 * Ready when every runner of the instance is RunnerReady or RunnerRunning (what EXO's worker waits for before
 * dispatching); failed with the runner's message when one failed; otherwise the phase of the slowest runner
 * and the mean progress of all of them.
 */
export function instanceReadiness(state: ExoStateView, instanceId: string): InstanceReadiness {
  const instance = state.instances.get(instanceId);
  if (!instance) return { status: 'gone' };
  const stages = Object.entries(instance.nodeToRunner).map(([nodeId, runnerId]) =>
    runnerStage(state.runners.get(runnerId), downloadFraction(state, nodeId, instance.modelId)),
  );
  const failed = stages.find((stage) => stage.failed !== undefined);
  if (failed) return { status: 'failed', message: failed.failed! };
  if (stages.length > 0 && stages.every((stage) => stage.progress >= 1)) return { status: 'ready' };
  const progress = stages.reduce((sum, stage) => sum + stage.progress, 0) / Math.max(1, stages.length);
  const phase = stages.reduce<EngineLoadingPhase>(
    (slowest, stage) =>
      PHASE_ORDER.indexOf(stage.phase) < PHASE_ORDER.indexOf(slowest) ? stage.phase : slowest,
    'warming-up',
  );
  return { status: 'loading', phase, progress: Math.round(Math.min(0.99, progress) * 1000) / 1000 };
}

interface RunnerStage {
  readonly phase: EngineLoadingPhase;
  readonly progress: number;
  readonly failed?: string;
}

// Progress is spread over the lifecycle: the download dominates a first load, loading layers the rest.
function runnerStage(runner: ExoRunnerView | undefined, download: number | null): RunnerStage {
  switch (runner?.status) {
    case undefined:
      return { phase: 'placing', progress: 0 };
    case 'RunnerIdle':
      return download === null
        ? { phase: 'placing', progress: 0.02 }
        : { phase: 'downloading', progress: 0.5 * download };
    case 'RunnerConnecting':
      return { phase: 'loading', progress: 0.5 };
    case 'RunnerConnected':
      return { phase: 'loading', progress: 0.55 };
    case 'RunnerLoading': {
      const total = runner.totalLayers ?? 0;
      const fraction = total > 0 ? Math.min(1, (runner.layersLoaded ?? 0) / total) : 0;
      return { phase: 'loading', progress: 0.55 + 0.35 * fraction };
    }
    case 'RunnerLoaded':
      return { phase: 'loading', progress: 0.9 };
    case 'RunnerWarmingUp':
      return { phase: 'warming-up', progress: 0.95 };
    case 'RunnerReady':
    case 'RunnerRunning':
      return { phase: 'warming-up', progress: 1 };
    case 'RunnerFailed':
      return {
        phase: 'loading',
        progress: 0,
        failed: runner.errorMessage ?? 'a runner failed without a message',
      };
    default:
      // RunnerShuttingDown, RunnerShutdown, or a state newer than this code: not serving.
      return { phase: 'placing', progress: 0 };
  }
}

/** The node's download progress of the model (0…1), or null when it has no download entry for it. */
function downloadFraction(state: ExoStateView, nodeId: string, modelId: string): number | null {
  const entry = state.downloads.get(nodeId)?.find((download) => download.modelId === modelId);
  if (!entry) return null;
  if (entry.status === 'DownloadCompleted') return 1;
  return entry.totalBytes > 0 ? Math.min(1, entry.downloadedBytes / entry.totalBytes) : 0;
}

/** Each EXO node of the instance and its share of the work: layers held for a pipeline, 1/ranks for tensor. */
export function servingShares(instance: ExoInstanceView): ChatServingShare[] {
  return Object.entries(instance.nodeToRunner).flatMap(([engineNodeId, runnerId]) => {
    const shard = instance.runnerToShard[runnerId];
    if (!shard) return [];
    const share =
      shard.kind === 'PipelineShardMetadata' && shard.nLayers > 0
        ? (shard.endLayer - shard.startLayer) / shard.nLayers
        : 1 / Math.max(1, shard.worldSize);
    return [{ engineNodeId, share }];
  });
}
