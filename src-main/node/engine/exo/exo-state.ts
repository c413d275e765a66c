// Decoding of the parts of EXO's API the supervisor uses (ref/exo-integration.md §2). EXO's internal models
// are camelCase with tagged unions (`{"RunnerReady": {…}}`); plain API types are snake_case. Everything is
// validated before use: a field we rely on that is missing or mistyped is a protocol error.
import { EngineProtocolError } from '../errors.ts';
import { decodeNodeAddresses, type ExoNodeAddresses } from './exo-topology.ts';

/** One shard of an instance: which layers a runner holds. */
export interface ExoShardView {
  readonly kind: string;
  readonly deviceRank: number;
  readonly worldSize: number;
  readonly startLayer: number;
  readonly endLayer: number;
  readonly nLayers: number;
}

/** An instance (a placed model) as far as the supervisor needs it. */
export interface ExoInstanceView {
  readonly instanceId: string;
  /** `MlxRingInstance` or `MlxJacclInstance`. */
  readonly kind: string;
  readonly modelId: string;
  /** EXO node id → runner id. */
  readonly nodeToRunner: Readonly<Record<string, string>>;
  /** runner id → its shard. */
  readonly runnerToShard: Readonly<Record<string, ExoShardView>>;
}

/** A runner's lifecycle state (`RunnerIdle … RunnerReady ⇄ RunnerRunning`, `RunnerFailed`). */
export interface ExoRunnerView {
  readonly status: string;
  readonly layersLoaded?: number;
  readonly totalLayers?: number;
  readonly errorMessage?: string | null;
}

/** A node's download of (part of) a model. */
export interface ExoDownloadView {
  readonly status: string;
  readonly modelId: string | null;
  readonly downloadedBytes: number;
  readonly totalBytes: number;
  readonly errorMessage?: string;
}

/** A generation task (present in /state only while its request streams). */
export interface ExoTaskView {
  readonly commandId: string;
  readonly instanceId: string;
}

export interface ExoStateView {
  readonly instances: ReadonlyMap<string, ExoInstanceView>;
  readonly runners: ReadonlyMap<string, ExoRunnerView>;
  /** EXO node id → its downloads. */
  readonly downloads: ReadonlyMap<string, readonly ExoDownloadView[]>;
  /** EXO node id → where EXO's own probes reached it (the topology; exo-topology.ts). */
  readonly nodeAddresses: ExoNodeAddresses;
}

/** One entry of `GET /instance/previews`. `instance` is kept raw to be posted back unchanged. */
export interface ExoPlacementPreview {
  readonly sharding: string;
  readonly instanceMeta: string;
  readonly instance: { readonly raw: unknown; readonly view: ExoInstanceView } | null;
  readonly error: string | null;
}

type Json = Record<string, unknown>;

export function decodeState(value: unknown): ExoStateView {
  const state = record(value, 'state');
  const instances = new Map<string, ExoInstanceView>();
  for (const [id, raw] of Object.entries(optionalRecord(state.instances, 'instances'))) {
    instances.set(id, decodeInstance(raw));
  }
  const runners = new Map<string, ExoRunnerView>();
  for (const [id, raw] of Object.entries(optionalRecord(state.runners, 'runners'))) {
    runners.set(id, decodeRunner(raw));
  }
  const downloads = new Map<string, ExoDownloadView[]>();
  for (const [nodeId, raw] of Object.entries(optionalRecord(state.downloads, 'downloads'))) {
    if (!Array.isArray(raw)) throw malformed('downloads entry that is not a list');
    downloads.set(nodeId, raw.map(decodeDownload));
  }
  return { instances, runners, downloads, nodeAddresses: decodeNodeAddresses(state.topology) };
}

export function decodeInstance(value: unknown): ExoInstanceView {
  const [kind, body] = tagged(value, 'instance');
  const assignments = record(body.shardAssignments, 'shardAssignments');
  const nodeToRunner: Record<string, string> = {};
  for (const [node, runner] of Object.entries(record(assignments.nodeToRunner, 'nodeToRunner'))) {
    nodeToRunner[node] = string(runner, 'nodeToRunner entry');
  }
  const runnerToShard: Record<string, ExoShardView> = {};
  for (const [runner, raw] of Object.entries(record(assignments.runnerToShard, 'runnerToShard'))) {
    const [shardKind, shard] = tagged(raw, 'shard');
    runnerToShard[runner] = {
      kind: shardKind,
      deviceRank: integer(shard.deviceRank, 'deviceRank'),
      worldSize: integer(shard.worldSize, 'worldSize'),
      startLayer: integer(shard.startLayer, 'startLayer'),
      endLayer: integer(shard.endLayer, 'endLayer'),
      nLayers: integer(shard.nLayers, 'nLayers'),
    };
  }
  return {
    instanceId: string(body.instanceId, 'instanceId'),
    kind,
    modelId: string(assignments.modelId, 'modelId'),
    nodeToRunner,
    runnerToShard,
  };
}

export function decodeRunner(value: unknown): ExoRunnerView {
  const [status, body] = tagged(value, 'runner status');
  if (status === 'RunnerLoading') {
    return {
      status,
      layersLoaded: integer(body.layersLoaded, 'layersLoaded'),
      totalLayers: integer(body.totalLayers, 'totalLayers'),
    };
  }
  if (status === 'RunnerFailed') {
    const message = body.errorMessage;
    return { status, errorMessage: typeof message === 'string' ? message : null };
  }
  return { status };
}

function decodeDownload(value: unknown): ExoDownloadView {
  const [status, body] = tagged(value, 'download');
  const shard = body.shardMetadata;
  let modelId: string | null = null;
  if (shard !== undefined) {
    const [, shardBody] = tagged(shard, 'shardMetadata');
    const card = shardBody.modelCard;
    if (card !== null && typeof card === 'object' && typeof (card as Json).modelId === 'string') {
      modelId = (card as Json).modelId as string;
    }
  }
  const progress =
    body.downloadProgress === undefined ? body : record(body.downloadProgress, 'downloadProgress');
  const bytes = (field: unknown) =>
    field !== null && typeof field === 'object' && typeof (field as Json).inBytes === 'number'
      ? ((field as Json).inBytes as number)
      : 0;
  return {
    status,
    modelId,
    downloadedBytes: bytes(progress.downloaded),
    totalBytes: bytes(progress.total),
    ...(typeof body.errorMessage === 'string' ? { errorMessage: body.errorMessage } : {}),
  };
}

/** `GET /state/tasks`: the generation tasks, by command id. */
export function decodeTasks(value: unknown): ExoTaskView[] {
  const tasks: ExoTaskView[] = [];
  for (const raw of Object.values(optionalRecord(value, 'tasks'))) {
    const [kind, body] = tagged(raw, 'task');
    if (kind !== 'TextGeneration') continue;
    if (typeof body.commandId === 'string' && typeof body.instanceId === 'string') {
      tasks.push({ commandId: body.commandId, instanceId: body.instanceId });
    }
  }
  return tasks;
}

export function decodePreviews(value: unknown): ExoPlacementPreview[] {
  const body = record(value, 'previews response');
  if (!Array.isArray(body.previews)) throw malformed('previews that are not a list');
  return body.previews.map((raw: unknown) => {
    const preview = record(raw, 'preview');
    const instance =
      preview.instance === null || preview.instance === undefined
        ? null
        : { raw: preview.instance, view: decodeInstance(preview.instance) };
    return {
      sharding: typeof preview.sharding === 'string' ? preview.sharding : 'Pipeline',
      instanceMeta: typeof preview.instance_meta === 'string' ? preview.instance_meta : 'MlxRing',
      instance,
      error: typeof preview.error === 'string' ? preview.error : null,
    };
  });
}

/** `GET /node_id`: a bare JSON string. */
export function decodeNodeId(value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > 200)
    throw malformed('a node id that is not a string');
  return value;
}

function tagged(value: unknown, what: string): [string, Json] {
  const outer = record(value, what);
  const keys = Object.keys(outer);
  if (keys.length !== 1) throw malformed(`${what} that is not a tagged union`);
  const tag = keys[0]!;
  return [tag, record(outer[tag], `${what} ${tag}`)];
}

function record(value: unknown, what: string): Json {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw malformed(`${what} that is not an object`);
  return value as Json;
}

function optionalRecord(value: unknown, what: string): Json {
  return value === undefined || value === null ? {} : record(value, what);
}

function string(value: unknown, what: string): string {
  if (typeof value !== 'string') throw malformed(`a ${what} that is not a string`);
  return value;
}

function integer(value: unknown, what: string): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw malformed(`a ${what} that is not a whole number`);
  }
  return value;
}

function malformed(what: string): EngineProtocolError {
  return new EngineProtocolError(`EXO's API returned ${what}`);
}
