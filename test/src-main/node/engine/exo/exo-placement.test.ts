import { describe, expect, it } from 'vitest';
import {
  choosePreview,
  instanceReadiness,
  placementRefusal,
  servingShares,
} from '../../../../../src-main/node/engine/exo/exo-placement.ts';
import { decodePreviews, decodeState } from '../../../../../src-main/node/engine/exo/exo-state.ts';
import { EngineProtocolError } from '../../../../../src-main/node/engine/errors.ts';

const MODEL = 'mlx-community/Meta-Llama-3.1-8B-Instruct-4bit';

function shard(kind: string, rank: number, worldSize: number, start: number, end: number) {
  return {
    [kind]: {
      modelCard: { modelId: MODEL },
      deviceRank: rank,
      worldSize,
      immediateException: false,
      shouldTimeout: null,
      startLayer: start,
      endLayer: end,
      nLayers: 32,
    },
  };
}

function instance(id: string, nodes: Record<string, string>, shards: Record<string, object>) {
  return {
    MlxRingInstance: {
      instanceId: id,
      shardAssignments: { modelId: MODEL, runnerToShard: shards, nodeToRunner: nodes },
      hostsByNode: {},
      ephemeralPort: 50_000,
    },
  };
}

const PIPELINE = instance(
  'i1',
  { nodeA: 'r1', nodeB: 'r2' },
  {
    r1: shard('PipelineShardMetadata', 0, 2, 0, 20),
    r2: shard('PipelineShardMetadata', 1, 2, 20, 32),
  },
);

function stateWith(runners: Record<string, object>, downloads: Record<string, object[]> = {}) {
  return decodeState({ instances: { i1: PIPELINE }, runners, downloads, tasks: {} });
}

describe('instanceReadiness', () => {
  it('is ready only when every runner is RunnerReady or RunnerRunning', () => {
    expect(
      instanceReadiness(
        stateWith({ r1: { RunnerReady: { prefillServerPort: null } }, r2: { RunnerRunning: {} } }),
        'i1',
      ),
    ).toEqual({ status: 'ready' });
    expect(
      instanceReadiness(stateWith({ r1: { RunnerReady: {} }, r2: { RunnerWarmingUp: {} } }), 'i1'),
    ).toMatchObject({ status: 'loading', phase: 'warming-up' });
  });

  it('reports the slowest runner’s phase and the mean progress', () => {
    const readiness = instanceReadiness(
      stateWith({ r1: { RunnerLoading: { layersLoaded: 10, totalLayers: 20 } }, r2: { RunnerReady: {} } }),
      'i1',
    );
    expect(readiness).toMatchObject({ status: 'loading', phase: 'loading' });
    expect(readiness.status === 'loading' && readiness.progress).toBeCloseTo((0.55 + 0.35 * 0.5 + 1) / 2, 2);
  });

  it('counts download progress while a runner is idle', () => {
    const ongoing = {
      DownloadOngoing: {
        nodeId: 'nodeA',
        shardMetadata: shard('PipelineShardMetadata', 0, 2, 0, 20),
        downloadProgress: { total: { inBytes: 1000 }, downloaded: { inBytes: 250 } },
      },
    };
    const completed = {
      DownloadCompleted: {
        nodeId: 'nodeB',
        shardMetadata: shard('PipelineShardMetadata', 1, 2, 20, 32),
        total: { inBytes: 600 },
      },
    };
    const readiness = instanceReadiness(
      stateWith({ r1: { RunnerIdle: {} }, r2: { RunnerIdle: {} } }, { nodeA: [ongoing], nodeB: [completed] }),
      'i1',
    );
    expect(readiness).toMatchObject({ status: 'loading', phase: 'downloading' });
    expect(readiness.status === 'loading' && readiness.progress).toBeCloseTo((0.5 * 0.25 + 0.5) / 2, 2);
  });

  it('fails with the runner’s message, and notices an instance that is gone', () => {
    const failed = stateWith({
      r1: { RunnerFailed: { errorMessage: 'OOM', diagnostics: [] } },
      r2: { RunnerReady: {} },
    });
    expect(instanceReadiness(failed, 'i1')).toEqual({ status: 'failed', message: 'OOM' });
    expect(instanceReadiness(failed, 'other')).toEqual({ status: 'gone' });
  });
});

describe('servingShares', () => {
  it('shares a pipeline by layers held and a tensor split evenly', () => {
    expect(servingShares(stateWith({}).instances.get('i1')!)).toEqual([
      { engineNodeId: 'nodeA', share: 20 / 32 },
      { engineNodeId: 'nodeB', share: 12 / 32 },
    ]);
    const tensor = decodeState({
      instances: {
        t: instance(
          't',
          { a: 'r1', b: 'r2' },
          { r1: shard('TensorShardMetadata', 0, 2, 0, 32), r2: shard('TensorShardMetadata', 1, 2, 0, 32) },
        ),
      },
    });
    expect(servingShares(tensor.instances.get('t')!).map((share) => share.share)).toEqual([0.5, 0.5]);
  });
});

describe('choosePreview', () => {
  const previews = decodePreviews({
    previews: [
      {
        model_id: MODEL,
        sharding: 'Pipeline',
        instance_meta: 'MlxRing',
        instance: null,
        error: 'No cycles found with sufficient memory',
      },
      { model_id: MODEL, sharding: 'Tensor', instance_meta: 'MlxRing', instance: PIPELINE, error: null },
      { model_id: MODEL, sharding: 'Pipeline', instance_meta: 'MlxRing', instance: PIPELINE, error: null },
      {
        model_id: MODEL,
        sharding: 'Pipeline',
        instance_meta: 'MlxRing',
        instance: instance('i3', { nodeC: 'r9' }, { r9: shard('PipelineShardMetadata', 0, 1, 0, 32) }),
        error: null,
      },
    ],
  });

  it('prefers placements that include this node, then the preferred sharding', () => {
    expect(choosePreview(previews, 'nodeA')?.sharding).toBe('Pipeline');
    expect(choosePreview(previews, 'nodeA')?.instance?.view.instanceId).toBe('i1');
    expect(choosePreview(previews, 'nodeA', { sharding: 'Tensor' })?.sharding).toBe('Tensor');
    // Not a member of any: the smallest placement.
    expect(choosePreview(previews, 'nodeZ')?.instance?.view.instanceId).toBe('i3');
  });

  it('returns null and EXO’s reasons when nothing fits', () => {
    expect(choosePreview(previews.slice(0, 1), 'nodeA')).toBeNull();
    expect(placementRefusal(previews.slice(0, 1))).toBe('No cycles found with sufficient memory');
    expect(placementRefusal([])).toBe('EXO offered no placement');
  });
});

describe('decodeState', () => {
  it('refuses values that are not EXO’s tagged unions', () => {
    expect(() => decodeState({ runners: { r1: { RunnerReady: {}, RunnerIdle: {} } } })).toThrow(
      EngineProtocolError,
    );
    expect(() => decodeState({ instances: { i: { MlxRingInstance: { instanceId: 5 } } } })).toThrow(
      EngineProtocolError,
    );
    expect(() => decodeState([])).toThrow(/state that is not an object/);
  });
});
